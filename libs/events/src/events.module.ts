import { Module } from '@nestjs/common';
import { Expander } from '#libs/read-models/src/expansion';
import { EventsController } from './http/events.controller.js';

@Module({ controllers: [EventsController], providers: [Expander] })
export class EventsModule {}
