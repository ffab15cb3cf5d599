import { Empty, ReadResp, StreamIdentifier, UUID } from './proto.js';
import type { StoredEvent } from './log.js';

/** ReadResp messages the Read call streams back, shaped as EventStoreDB sends them. */

export function streamIdentifier(name: string): InstanceType<typeof StreamIdentifier> {
  return new StreamIdentifier().setStreamName(Buffer.from(name, 'utf8'));
}

/**
 * The serialized event message, built once per stored event. Stored events never change, and
 * protobuf encoding dominated the double's CPU time in tests that re-read streams many times
 * (the read service is registered with a serializer that passes Buffers through; see index.ts).
 */
const encoded = new WeakMap<StoredEvent, Buffer>();

export function encodedEventMessage(event: StoredEvent): Buffer {
  let bytes = encoded.get(event);
  if (!bytes) {
    bytes = Buffer.from(eventMessage(event).serializeBinary());
    encoded.set(event, bytes);
  }
  return bytes;
}

function eventMessage(event: StoredEvent): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(new UUID().setString(event.id))
    .setStreamIdentifier(streamIdentifier(event.streamName))
    .setStreamRevision(event.revision.toString())
    .setCommitPosition(event.position.toString())
    .setPreparePosition(event.position.toString())
    .setData(event.data)
    .setCustomMetadata(event.customMetadata);
  const metadata = recorded.getMetadataMap();
  metadata.set('type', event.type);
  metadata.set('content-type', event.contentType);
  metadata.set('created', event.created.toString());
  const readEvent = new ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(event.position.toString());
  return new ReadResp().setEvent(readEvent);
}

export function confirmationMessage(subscriptionId: string): ReadResp {
  return new ReadResp().setConfirmation(
    new ReadResp.SubscriptionConfirmation().setSubscriptionId(subscriptionId),
  );
}

export function checkpointMessage(position: bigint): ReadResp {
  const checkpoint = new ReadResp.Checkpoint()
    .setCommitPosition(position.toString())
    .setPreparePosition(position.toString());
  return new ReadResp().setCheckpoint(checkpoint);
}

export function caughtUpMessage(): ReadResp {
  return new ReadResp().setCaughtUp(new ReadResp.CaughtUp());
}

export function streamNotFoundMessage(name: string): ReadResp {
  return new ReadResp().setStreamNotFound(
    new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(name)),
  );
}

export function empty(): InstanceType<typeof Empty> {
  return new Empty();
}
