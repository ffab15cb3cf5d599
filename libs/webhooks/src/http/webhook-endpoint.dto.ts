import { Allow } from 'class-validator';
import { ListParamsDto } from '#libs/wire/src/list-params.dto';
import { Param } from '#libs/wire/src/validation';
import { MAX_ENABLED_EVENTS } from '../domain/enabled-events.js';
import { MAX_URL_LENGTH } from '../domain/endpoint-url.js';
import { MAX_SECRET_OVERLAP_SECONDS } from '../domain/webhook-endpoint.decider.js';

export class CreateWebhookEndpointDto {
  @Param.string({ required: true, maxLength: MAX_URL_LENGTH }) url!: string;
  @Param.array({ type: 'string', maxLength: 100 }, { required: true, maxItems: MAX_ENABLED_EVENTS })
  enabled_events!: string[];
  @Param.string({ unsettable: true, maxLength: 5000 }) description?: string | null;
  @Param.string({ maxLength: 40 }) api_version?: string;
  @Param.boolean() connect?: boolean;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class UpdateWebhookEndpointDto {
  @Param.string({ maxLength: MAX_URL_LENGTH }) url?: string;
  @Param.array({ type: 'string', maxLength: 100 }, { maxItems: MAX_ENABLED_EVENTS })
  enabled_events?: string[];
  @Param.string({ unsettable: true, maxLength: 5000 }) description?: string | null;
  @Param.boolean() disabled?: boolean;
  @Param.metadata() metadata?: Record<string, string> | null;
  @Param.array({ type: 'string' }) expand?: string[];
}

/** Coffer extension: how long the old secret keeps signing (seconds; default 24 h). */
export class RollSecretDto {
  @Param.integer({ min: 0, max: MAX_SECRET_OVERLAP_SECONDS }) expires_in?: number;
  @Param.array({ type: 'string' }) expand?: string[];
}

export class RetrieveWebhookEndpointDto {
  @Param.array({ type: 'string' }) expand?: string[];
}

export class ListWebhookEndpointsDto extends ListParamsDto {}

/** Coffer extension: the attempts of an endpoint (optionally of one event), newest first. */
export class ListAttemptsDto {
  @Param.string() event?: string;
  @Param.integer() limit?: number;
  @Param.string() starting_after?: string;
  @Param.string() ending_before?: string;
  @Allow() created?: unknown;
}

/** Coffer extension: send one event to one endpoint again. */
export class RetryEventDto {
  @Param.string({ required: true }) webhook_endpoint!: string;
}

/** Coffer extension: send a `coffer.webhook_test` event (no parameters besides expand). */
export class TestEndpointDto {
  @Param.array({ type: 'string' }) expand?: string[];
}
