import {
  AddMembersBody,
  DirectConversationBody,
  GroupConversationBody,
  IdParams,
  ListConversationsQuery,
  MemberParams,
  PatchConversationBody,
  PatchMemberBody,
} from '@chat/protocol';
import type { FastifyInstance } from 'fastify';
import type { ConversationsService } from '../../domain/conversations.service.js';
import { userIdOf } from '../authenticate.js';

export function conversationsRoutes(conversations: ConversationsService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post<{ Body: DirectConversationBody }>(
      '/api/conversations/direct',
      { schema: { body: DirectConversationBody } },
      async (request, reply) => {
        const { conversation, created } = await conversations.openDirect(
          userIdOf(request),
          request.body.userId,
        );
        return reply.status(created ? 201 : 200).send(conversation);
      },
    );
    app.post<{ Body: GroupConversationBody }>(
      '/api/conversations/group',
      { schema: { body: GroupConversationBody } },
      async (request, reply) =>
        reply.status(201).send(await conversations.createGroup(userIdOf(request), request.body)),
    );
    app.get<{ Querystring: ListConversationsQuery }>(
      '/api/conversations',
      { schema: { querystring: ListConversationsQuery } },
      async (request) => conversations.list(userIdOf(request), request.query),
    );
    app.get<{ Params: IdParams }>(
      '/api/conversations/:id',
      { schema: { params: IdParams } },
      async (request) => conversations.get(userIdOf(request), request.params.id),
    );
    app.patch<{ Params: IdParams; Body: PatchConversationBody }>(
      '/api/conversations/:id',
      { schema: { params: IdParams, body: PatchConversationBody } },
      async (request) => conversations.patch(userIdOf(request), request.params.id, request.body),
    );
    app.delete<{ Params: IdParams }>(
      '/api/conversations/:id',
      { schema: { params: IdParams } },
      async (request, reply) => {
        await conversations.close(userIdOf(request), request.params.id);
        return reply.status(204).send();
      },
    );
    app.post<{ Params: IdParams; Body: AddMembersBody }>(
      '/api/conversations/:id/members',
      { schema: { params: IdParams, body: AddMembersBody } },
      async (request) =>
        conversations.addMembers(userIdOf(request), request.params.id, request.body.userIds),
    );
    app.delete<{ Params: MemberParams }>(
      '/api/conversations/:id/members/:userId',
      { schema: { params: MemberParams } },
      async (request, reply) => {
        await conversations.removeMember(
          userIdOf(request),
          request.params.id,
          request.params.userId,
        );
        return reply.status(204).send();
      },
    );
    app.patch<{ Params: MemberParams; Body: PatchMemberBody }>(
      '/api/conversations/:id/members/:userId',
      { schema: { params: MemberParams, body: PatchMemberBody } },
      async (request) =>
        conversations.setRole(
          userIdOf(request),
          request.params.id,
          request.params.userId,
          request.body.role,
        ),
    );
  };
}
