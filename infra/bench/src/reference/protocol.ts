/** The reference server's tiny protocol, shared by its process and the load generator. */
export const REFERENCE_ISSUER = 'bench-reference';
export const REFERENCE_AUDIENCE = 'bench-reference';

/** client → server `send` (no ack: the reference neither stores nor confirms). */
export interface ReferenceSend {
  room: string;
  text: string;
}

/** server → other members of the room: `message`. */
export interface ReferenceRelay {
  room: string;
  senderId: string;
  text: string;
  at: number;
}
