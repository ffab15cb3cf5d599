import { Global, Module } from '@nestjs/common';
import { PRINCIPAL_RESOLVER } from '#libs/wire/src/http/principal';
import { AccountsService } from './accounts.service.js';
import { ApiKeyResolver } from './api-key-resolver.js';

/**
 * Accounts and API keys. Provides the PrincipalResolver the wire layer's API-key guard needs
 * (global, so the guard in WireModule sees it). Needs the global PlatformModule (READ_SQL,
 * CLOCK) and ProjectionsModule (CommandRuntime); the accounts and api_keys projectors are in
 * the read-model catalog.
 */
@Global()
@Module({
  providers: [AccountsService, ApiKeyResolver, { provide: PRINCIPAL_RESOLVER, useExisting: ApiKeyResolver }],
  exports: [AccountsService, ApiKeyResolver, PRINCIPAL_RESOLVER],
})
export class AccountsModule {}
