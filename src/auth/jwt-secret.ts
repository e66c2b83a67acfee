/** The token signing secret: from configuration, or generated once into the data folder (0600). */
import type { AppConfig } from '../config/app-config.js';
import { configuredOrStoredSecret } from '../common/data-secret.js';

export function loadJwtSecret(config: Pick<AppConfig, 'jwtSecret' | 'dataDir'>): string {
  return configuredOrStoredSecret(config.jwtSecret, config.dataDir, 'jwt-secret');
}
