import { AppError } from '@chat/core';
import { isObjectIdString } from '@chat/protocol';
import { ObjectId } from '@chat/store';

/**
 * Payload schemas already guarantee 24-hex ids; this is the single place that turns
 * them into ObjectIds, and it refuses anything else rather than trusting callers.
 */
export function oid(hex: string, field = 'id'): ObjectId {
  if (!isObjectIdString(hex)) {
    throw AppError.validation({ fields: [{ path: `/${field}`, message: 'Expected an id' }] });
  }
  return ObjectId.createFromHexString(hex);
}

export const hex = (id: ObjectId): string => id.toHexString();
