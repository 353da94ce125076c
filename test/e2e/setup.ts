import { jest } from '@jest/globals';

// End-to-end tests build from source and run real R: minutes, not seconds. Each test still bounds its own work.
jest.setTimeout(60 * 60_000);
