import {
  Metadata,
  status,
  type sendUnaryData,
  type ServerReadableStream,
  type ServerErrorResponse,
} from '@grpc/grpc-js';
import { AppendReq, AppendResp, type AppendResp as AppendRespMessage } from './proto.js';
import type { AppendOutcome, ExpectedState, InMemoryLog, ProposedEvent } from './log.js';
import { empty } from './messages.js';

type AppendOptions = InstanceType<typeof AppendReq.Options>;
const { ExpectedStreamRevisionCase } = AppendReq.Options;

/**
 * Streams.Append, the classic client-streaming append: one message with the options (stream,
 * expected revision), then one message per proposed event. The answer is Success or
 * WrongExpectedVersion; oversized appends and events without a type fail with the gRPC error
 * (status + `exception` trailer) the server sends and the client maps to its error classes.
 */
export function appendHandler(log: InMemoryLog, maxAppendSize: number) {
  return (
    call: ServerReadableStream<AppendReq, AppendRespMessage>,
    callback: sendUnaryData<AppendRespMessage>,
  ): void => {
    let options: AppendOptions | undefined;
    const proposed: ProposedEvent[] = [];
    let size = 0;
    let failure: ServerErrorResponse | null = null;

    call.on('data', (request: AppendReq) => {
      if (failure) return;
      const header = request.getOptions();
      if (header) {
        options = header;
        return;
      }
      const message = request.getProposedMessage();
      if (!message) return;
      size += message.serializeBinary().length;
      if (size > maxAppendSize) {
        failure = maxAppendSizeExceeded(maxAppendSize);
        return;
      }
      const metadata = message.getMetadataMap();
      const type = metadata.get('type');
      const contentType = metadata.get('content-type');
      if (!type || !contentType) {
        failure = requiredMetadataMissing();
        return;
      }
      proposed.push({
        id: message.getId()?.getString() || crypto.randomUUID(),
        type,
        contentType,
        data: message.getData_asU8(),
        customMetadata: message.getCustomMetadata_asU8(),
      });
    });

    call.on('end', () => {
      if (failure) return callback(failure);
      if (!options) return callback(invalidArgument('Append without options'));
      const stream = Buffer.from(options.getStreamIdentifier()?.getStreamName_asU8() ?? []).toString('utf8');
      const expected = expectedState(options);
      callback(null, toResponse(log.append(stream, expected, proposed), expected));
    });
  };
}

function expectedState(options: AppendOptions): ExpectedState {
  switch (options.getExpectedStreamRevisionCase()) {
    case ExpectedStreamRevisionCase.REVISION:
      return { kind: 'revision', revision: BigInt(options.getRevision()) };
    case ExpectedStreamRevisionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case ExpectedStreamRevisionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    default:
      return { kind: 'any' };
  }
}

function toResponse(outcome: AppendOutcome, expected: ExpectedState): AppendRespMessage {
  if (outcome.ok) {
    const success = new AppendResp.Success();
    if (outcome.currentRevision === null) success.setNoStream(empty());
    else success.setCurrentRevision(outcome.currentRevision.toString());
    if (outcome.position === null) success.setNoPosition(empty());
    else {
      const position = outcome.position.toString();
      success.setPosition(new AppendResp.Position().setCommitPosition(position).setPreparePosition(position));
    }
    return new AppendResp().setSuccess(success);
  }
  const wrong = new AppendResp.WrongExpectedVersion();
  if (outcome.currentRevision === null) wrong.setCurrentNoStream(empty());
  else wrong.setCurrentRevision(outcome.currentRevision.toString());
  switch (expected.kind) {
    case 'revision':
      wrong.setExpectedRevision(expected.revision.toString());
      break;
    case 'no_stream':
      wrong.setExpectedNoStream(empty());
      break;
    case 'stream_exists':
      wrong.setExpectedStreamExists(empty());
      break;
    case 'any':
      wrong.setExpectedAny(empty());
      break;
  }
  return new AppendResp().setWrongExpectedVersion(wrong);
}

function serverError(code: status, details: string, trailers: Record<string, string>): ServerErrorResponse {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(details), { code, details, metadata });
}

function maxAppendSizeExceeded(maxAppendSize: number): ServerErrorResponse {
  return serverError(status.INVALID_ARGUMENT, `Maximum Append Size of ${maxAppendSize} Exceeded.`, {
    exception: 'maximum-append-size-exceeded',
    'maximum-append-size': String(maxAppendSize),
  });
}

function requiredMetadataMissing(): ServerErrorResponse {
  return serverError(status.INVALID_ARGUMENT, 'Required Metadata Properties Missing: type, content-type', {
    exception: 'missing-required-metadata-property',
    'required-metadata-properties': 'type,content-type',
  });
}

function invalidArgument(details: string): ServerErrorResponse {
  return serverError(status.INVALID_ARGUMENT, details, {});
}
