import { Module } from '@nestjs/common';
import { DocumentLists } from '#libs/read-models/src/document-lists';
import { Expander } from '#libs/read-models/src/expansion';
import { EventsController } from './http/events.controller.js';

@Module({ controllers: [EventsController], providers: [Expander, DocumentLists] })
export class EventsModule {}
