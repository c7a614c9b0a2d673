import 'reflect-metadata';
import { startServer } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';

async function main(): Promise<void> {
  try {
    await startServer(loadConfig());
  } catch (error) {
    // A bad setting is the operator's to fix: say which, without a stack trace.
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

void main();
