/**
 * Migration 15: text messages sent to JT/T 808 terminals (0x8300) and the terminals' answers
 * (0x0001), for the device page and the dispatch record. A row outlives its device's
 * removal (it is part of what was told to a driver), so no foreign key.
 */
import type { Migration } from '../../store/migrations.ts';

export const DEVICE_MESSAGES_MIGRATION: Migration = {
  version: 15,
  name: 'device_messages: text messages to JT/T 808 terminals and their answers',
  sql: `
    CREATE TABLE device_messages (
      id INTEGER PRIMARY KEY,
      device_id INTEGER NOT NULL,
      terminal TEXT NOT NULL,
      text TEXT NOT NULL,
      sent_by TEXT NOT NULL,
      case_id INTEGER,
      created_at INTEGER NOT NULL,
      sent_at INTEGER,
      serial INTEGER,
      result INTEGER,
      answered_at INTEGER,
      status TEXT NOT NULL
    );
    CREATE INDEX device_messages_device ON device_messages(device_id, id);
    CREATE INDEX device_messages_open ON device_messages(status, created_at);
  `,
};
