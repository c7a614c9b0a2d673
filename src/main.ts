import 'reflect-metadata';
import { startServer } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';
import { DeviceUnavailableError } from './engine/devices';

async function main(): Promise<void> {
  try {
    await startServer(loadConfig());
  } catch (error) {
    // A bad setting is the operator's to fix: say which, without a stack trace.
    if (error instanceof ConfigError || error instanceof DeviceUnavailableError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

void main();
