/**
 * The NATS adapter against a real nats-server (2.9+, JetStream): streams,
 * de-duplication, the ordered EventConsumer (acks, redelivery, naks, pause,
 * restart of the process and of the server), decisions, dead letters and
 * request/reply from plain JSON bytes as any client would send them. Every
 * test has its own prefix and streams, deleted afterwards.
 */
import { jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountIdFromSubject, connectNats, decodeJson, EventConsumer, ensureConsumer, ensureStreams, InvalidSubjectTokenError,
  NatsUnavailableError, publishDecision, publishDlq, serveRequests, StreamConfigError, subjectsFor,
  type DeadLetterRecord, type NatsHandle, type NatsStatusEvent,
} from '../../src/adapters/nats/mod.js';
import { InvalidEventError } from '../../src/engine/errors.js';
import { collector, freshEventsSetup, json, natsServerBinaryAvailable, PrivateNatsServer, sleep, TestStreams, waitFor } from './nats-helpers.js';
import { describeWithService, natsUrl } from './services.js';

const enc = new TextEncoder();

describe('subjects', () => {
  it('builds prefixed subjects and wildcards, parses account ids, rejects bad tokens', () => {
    const s = subjectsFor('veto');
    expect([s.tx('a1'), s.account('a1'), s.label('a1'), s.decision('a1'), s.dlq('invalid-json'), s.authorize])
      .toEqual(['veto.tx.a1', 'veto.account.a1', 'veto.label.a1', 'veto.decision.a1', 'veto.dlq.invalid-json', 'veto.authorize']);
    expect(s.wildcards.tx).toBe('veto.tx.*');
    expect(subjectsFor('acme.veto').tx('x')).toBe('acme.veto.tx.x');
    expect(accountIdFromSubject('veto.tx.acct-42')).toBe('acct-42');
    expect(accountIdFromSubject('veto.label.a', 'veto')).toBe('a');
    expect(accountIdFromSubject('veto.tx.a.b')).toBeUndefined();
    expect(accountIdFromSubject('other.tx.a')).toBeUndefined();
    for (const bad of ['a.b', 'a*', '>', 'a b', '']) expect(() => s.tx(bad)).toThrow(InvalidSubjectTokenError);
    expect(() => subjectsFor('ve to')).toThrow(InvalidSubjectTokenError);
  });
});

await describeWithService('nats', 'NATS adapter (JetStream)', () => {
  let handle: NatsHandle, nc: NatsConnection, jsm: JetStreamManager, js: JetStreamClient;
  const streams = new TestStreams();

  beforeAll(async () => {
    handle = await connectNats({ url: natsUrl(), name: 'veto-nats-adapter-test' });
    nc = handle.nc;
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
  });

  afterAll(async () => {
    await streams.deleteAll(jsm);
    await handle.close();
  });

  const setup = (opts: { ackWaitMs?: number } = {}) => freshEventsSetup(js, jsm, streams, opts);

  it('connects, reports the server version, and fails fast without a server', async () => {
    console.log(`nats-server version: ${nc.info?.version}`);
    expect(handle.isConnected()).toBe(true);
    expect(handle.serverVersion()).toMatch(/^2\./);
    const t0 = Date.now();
    await expect(connectNats({ url: 'nats://127.0.0.1:1' })).rejects.toBeInstanceOf(NatsUnavailableError);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('ensureStreams creates the 3 streams with their subjects and is idempotent', async () => {
    const { prefix, streams: names } = streams.fresh();
    const first = await ensureStreams(jsm, { prefix });
    expect(first.actions).toEqual({ events: 'created', decisions: 'created', dlq: 'created' });
    const ev = await jsm.streams.info(names.events);
    expect(ev.config.subjects.sort()).toEqual([`${prefix}.account.>`, `${prefix}.label.>`, `${prefix}.tx.>`]);
    expect(ev.config).toMatchObject({ storage: StorageType.File, retention: RetentionPolicy.Limits, duplicate_window: 120_000_000_000 });
    expect((await jsm.streams.info(names.decisions)).config.subjects).toEqual([`${prefix}.decision.>`]);
    expect((await jsm.streams.info(names.dlq)).config.subjects).toEqual([`${prefix}.dlq.>`]);
    expect((await ensureStreams(jsm, { prefix })).actions).toEqual({ events: 'unchanged', decisions: 'unchanged', dlq: 'unchanged' });
    expect((await ensureStreams(jsm, { prefix, duplicateWindowMs: 60_000 })).actions.events).toBe('updated');
  });

  it('ensureStreams updates differing subjects and rejects incompatible streams clearly', async () => {
    const a = streams.fresh();
    await jsm.streams.add({ name: a.streams.events, subjects: [`${a.prefix}.tx.>`], storage: StorageType.File });
    expect((await ensureStreams(jsm, { prefix: a.prefix })).actions.events).toBe('updated');
    const b = streams.fresh();
    await jsm.streams.add({ name: b.streams.events, subjects: [`${b.prefix}.x`], storage: StorageType.Memory });
    await expect(ensureStreams(jsm, { prefix: b.prefix })).rejects.toThrow(/memory storage/);
    const c = streams.fresh();
    streams.track(`${c.streams.events}_OTHER`);
    await jsm.streams.add({ name: `${c.streams.events}_OTHER`, subjects: [`${c.prefix}.label.>`] });
    await expect(ensureStreams(jsm, { prefix: c.prefix })).rejects.toBeInstanceOf(StreamConfigError);
    await expect(ensureStreams(jsm, { prefix: c.prefix })).rejects.toThrow(/overlap/);
  });

  it('stores a Nats-Msg-Id once within the duplicate window', async () => {
    const { names, s } = await setup();
    const first = await js.publish(s.tx('a'), json({ txId: 'dup' }), { msgID: 'dup' });
    const second = await js.publish(s.tx('a'), json({ txId: 'dup' }), { msgID: 'dup' });
    expect([first.duplicate, second.duplicate]).toEqual([false, true]);
    expect((await jsm.streams.info(names.events)).state.messages).toBe(1);
  });

  it('EventConsumer delivers in stream order; acked messages are not redelivered', async () => {
    const { publish, consumer, errors } = await setup();
    await publish(40);
    const c1 = collector();
    const ec = consumer();
    ec.start(c1.handler);
    await waitFor(() => c1.seen.length >= 40, 10_000, '40 events');
    await ec.stop();
    expect(c1.seen.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(c1.seen.every((e) => !e.redelivered && e.deliveryCount === 1 && e.msgId !== undefined)).toBe(true);
    expect(decodeJson(c1.seen[0]!.data)).toEqual({ ok: true, value: { txId: 't0' } });
    await sleep(1500); // past the ack wait
    const c2 = collector();
    const ec2 = consumer();
    ec2.start(c2.handler);
    await publish(1, 40);
    await waitFor(() => c2.seen.length >= 1, 10_000, 'the new event');
    await sleep(300);
    await ec2.stop();
    expect(c2.seen.map((e) => e.seq)).toEqual([41]);
    expect(errors).toEqual([]);
  });

  it('redelivers unacked messages (here: the handler threw) after the ack wait, in order, before newer ones', async () => {
    const { publish, consumer, errors } = await setup({ ackWaitMs: 1000 });
    await publish(5);
    const c = collector((batch, call) => {
      if (call > 1) return { ack: batch.map((e) => e.seq) };
      void publish(3, 5);
      throw new Error('store down');
    });
    const ec = consumer();
    ec.start(c.handler);
    await waitFor(() => c.seen.length >= 13, 10_000, 'redelivery');
    await ec.stop();
    expect(errors.map((e) => e.constructor.name)).toEqual(['BatchHandlerError']);
    expect(c.seen.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(c.seen.slice(5, 10).every((e) => e.redelivered && e.deliveryCount === 2)).toBe(true);
    expect(c.seen.slice(10).every((e) => !e.redelivered)).toBe(true);
  });

  it('after a restart, messages the previous process left unacked come first, in order', async () => {
    const { publish, consumer } = await setup({ ackWaitMs: 1000 });
    await publish(4);
    const crashed = collector(() => ({ ack: [] }));
    const first = consumer();
    first.start(crashed.handler);
    await waitFor(() => crashed.seen.length >= 4, 10_000, 'first delivery');
    await first.stop();
    await publish(2, 4);
    const c = collector();
    const second = consumer();
    second.start(c.handler);
    await waitFor(() => c.seen.length >= 6, 10_000, 'redelivery after restart');
    await second.stop();
    expect(c.seen.map((e) => [e.seq, e.redelivered])).toEqual([[1, true], [2, true], [3, true], [4, true], [5, false], [6, false]]);
  });

  it('a nak with a delay redelivers after the delay, before newer messages', async () => {
    const { publish, consumer } = await setup({ ackWaitMs: 20_000 });
    await publish(2);
    const times: number[] = [];
    const c = collector((batch, call) => {
      times.push(Date.now());
      if (call > 1) return { ack: batch.map((e) => e.seq) };
      void publish(2, 2);
      return { ack: [], nak: batch.map((e) => ({ seq: e.seq, delayMs: 1000 })) };
    });
    const ec = consumer();
    ec.start(c.handler);
    await waitFor(() => c.seen.length >= 6, 15_000, 'nak redelivery');
    await ec.stop();
    expect(c.seen.map((e) => [e.seq, e.redelivered])).toEqual([[1, false], [2, false], [1, true], [2, true], [3, false], [4, false]]);
    const waited = times[1]! - times[0]!;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(10_000); // the nak delay, not the 20 s ack wait
  });

  it('paused() stops fetching until it turns false', async () => {
    const { publish, consumer } = await setup();
    let paused = true;
    const c = collector();
    const ec = consumer({ paused: () => paused });
    ec.start(c.handler);
    await publish(3);
    await sleep(1200);
    expect(c.seen).toEqual([]);
    paused = false;
    await waitFor(() => c.seen.length >= 3, 10_000, 'events after resume');
    await ec.stop();
    expect(c.seen.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('consumes raw UTF-8 JSON bytes published by a plain core-NATS client', async () => {
    const { s, consumer } = await setup();
    const raw = await connect({ servers: natsUrl() }); // stands for any other language's client
    const h = headers();
    h.set('Nats-Msg-Id', 'raw-1');
    raw.publish(s.tx('acc-raw'), new TextEncoder().encode('{"txId":"raw-1","amount":12.5,"note":"héllo ✓"}'), { headers: h });
    await raw.flush();
    await raw.close();
    const c = collector();
    const ec = consumer();
    ec.start(c.handler);
    await waitFor(() => c.seen.length >= 1, 10_000, 'raw event');
    await ec.stop();
    const [e] = c.seen;
    expect(e).toMatchObject({ seq: 1, subject: s.tx('acc-raw'), msgId: 'raw-1' });
    expect(decodeJson(e!.data)).toEqual({ ok: true, value: { txId: 'raw-1', amount: 12.5, note: 'héllo ✓' } });
    expect(accountIdFromSubject(e!.subject, s.prefix)).toBe('acc-raw');
  });

  it('stores a decision published twice with the same msgID once', async () => {
    const { names, s } = await setup();
    const body = JSON.stringify({ txId: 'tx-9', decision: 'block' });
    const first = await publishDecision(js, s.decision('acc-1'), body, 'tx-9');
    const again = await publishDecision(js, s.decision('acc-1'), body, 'tx-9');
    expect([first.duplicate, again.duplicate, again.seq]).toEqual([false, true, first.seq]);
    const info = await jsm.streams.info(names.decisions);
    expect(info.state.messages).toBe(1);
    const stored = await jsm.streams.getMessage(names.decisions, { seq: first.seq });
    expect(stored?.json()).toEqual({ txId: 'tx-9', decision: 'block' });
  });

  it('dead letters hold the original payload, headers and error', async () => {
    const { prefix, names, s } = await setup();
    const r = await publishDlq(js, prefix, 'invalid-json', {
      subject: s.tx('a'), payload: enc.encode('{"txId": oops'), error: new InvalidEventError('bad JSON'), headers: { 'Nats-Msg-Id': 'm1' }, seq: 7,
    });
    const stored = await jsm.streams.getMessage(names.dlq, { seq: r!.seq });
    expect(stored?.subject).toBe(s.dlq('invalid-json'));
    const rec = stored!.json<DeadLetterRecord>();
    expect(rec).toMatchObject({
      reason: 'invalid-json', subject: s.tx('a'), payload: '{"txId": oops', payloadEncoding: 'utf8', seq: 7,
      error: { name: 'InvalidEventError', code: 'INVALID_EVENT', message: 'bad JSON' }, headers: { 'Nats-Msg-Id': 'm1' },
    });
    await publishDlq(nc, prefix, 'binary', { subject: s.tx('b'), payload: new Uint8Array([0xff, 0xfe, 0x00]), error: 'not UTF-8' });
    await nc.flush();
    await waitFor(async () => (await jsm.streams.info(names.dlq)).state.messages >= 2, 5000, 'the fire-and-forget dead letter');
    const bin = await jsm.streams.getMessage(names.dlq, { last_by_subj: s.dlq('binary') });
    expect(bin!.json<DeadLetterRecord>()).toMatchObject({ payload: '//4A', payloadEncoding: 'base64', error: { message: 'not UTF-8' } });
  });

  it('answers veto.authorize requests made with raw JSON bytes', async () => {
    const { s } = await setup();
    const server = serveRequests(nc, s.authorize, 'veto', (body) => {
      const tx = body as { txId?: string };
      if (!tx.txId) return Promise.reject(new InvalidEventError('txId is required'));
      return Promise.resolve({ txId: tx.txId, decision: 'allow' });
    });
    const raw = await connect({ servers: natsUrl() }); // plain bytes in, plain bytes out
    const ask = async (text: string) => JSON.parse(new TextDecoder().decode((await raw.request(s.authorize, enc.encode(text), { timeout: 5000 })).data)) as unknown;
    try {
      expect(await ask('{"txId":"r1","amount":5}')).toEqual({ txId: 'r1', decision: 'allow' });
      expect(await ask('{nope')).toMatchObject({ code: 'INVALID_JSON' });
      expect(await ask('{}')).toEqual({ code: 'INVALID_EVENT', message: 'txId is required' });
    } finally {
      await raw.close();
      await server.stop();
    }
  });

  describe.skipIf(!natsServerBinaryAvailable())('with a private nats-server that restarts', () => {
    it('tracks the connection and the EventConsumer resumes from the durable consumer', async () => {
      const server = await PrivateNatsServer.start();
      const events: NatsStatusEvent[] = [];
      const own = await connectNats({ url: server.url, onStatus: (e) => events.push(e) });
      try {
        const ownJsm = await jetstreamManager(own.nc);
        const ownJs = jetstream(own.nc);
        const names = await ensureStreams(ownJsm, { prefix: 'veto' });
        await ensureConsumer(ownJsm, names.events, 'engine', { ackWaitMs: 2000 });
        const s = subjectsFor('veto');
        const errors: Error[] = [];
        const c = collector();
        const ec = new EventConsumer(ownJs, { stream: names.events, durable: 'engine', onError: (e) => errors.push(e), retryMaxMs: 500 });
        ec.start(c.handler);
        await ownJs.publish(s.tx('a'), json({ txId: 'before' }), { msgID: 'before' });
        await waitFor(() => c.seen.length >= 1, 10_000, 'first event');
        await server.stop();
        await waitFor(() => !own.isConnected(), 5000, 'disconnect');
        await sleep(1500); // fetches fail meanwhile; the loop must survive
        await server.restart();
        await waitFor(() => own.isConnected(), 15_000, 'reconnect');
        await ownJs.publish(s.tx('a'), json({ txId: 'after' }), { msgID: 'after' });
        await waitFor(() => c.seen.some((e) => e.seq === 2), 20_000, 'event after the restart');
        await ec.stop();
        expect(c.seen.filter((e) => !e.redelivered).map((e) => e.seq)).toEqual([1, 2]);
        expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['disconnect', 'reconnect']));
        expect(own.reconnects()).toBeGreaterThanOrEqual(1);
      } finally {
        await own.close();
        await server.dispose();
      }
    });
  });
});
