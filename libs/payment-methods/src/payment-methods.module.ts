import { Module } from '@nestjs/common';
import type { AppConfig } from '#libs/config/src/config';
import { loadFingerprintKey } from '#libs/platform/src/server-key';
import { APP_CONFIG } from '#libs/platform/src/tokens';
import { PaymentTimeModule } from '#libs/payments/src/payment-time.module';
import { CARD_FINGERPRINT_KEY, CardFingerprinter } from './cards/card-fingerprinter.js';
import { PAYMENT_METHOD_COMMAND_HANDLERS } from './payment-method.commands.js';
import { PaymentMethodsService } from './payment-methods.service.js';

/**
 * PaymentMethods as a service (PaymentMethodsService, for PaymentIntents and SetupIntents) and
 * their command handlers. The HTTP controllers live in PaymentMethodsHttpModule so that other
 * feature modules can import this one without mounting routes twice.
 */
@Module({
  imports: [PaymentTimeModule],
  providers: [
    {
      provide: CARD_FINGERPRINT_KEY,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => loadFingerprintKey(config),
    },
    CardFingerprinter,
    PaymentMethodsService,
    ...PAYMENT_METHOD_COMMAND_HANDLERS,
  ],
  exports: [PaymentMethodsService, PaymentTimeModule],
})
export class PaymentMethodsModule {}
