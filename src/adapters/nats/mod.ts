/**
 * The NATS (JetStream) adapter of veto: subjects, connection, streams and the
 * durable consumer, the ordered batch consumer, publishing and request/reply.
 * Works with nats-server 2.9+ and nats.js v3. See each module's doc comment.
 */
export * from './codec.js';
export * from './connection.js';
export * from './errors.js';
export * from './event-consumer.js';
export * from './publisher.js';
export * from './streams.js';
export * from './subjects.js';
