import { Injectable, type PipeTransform } from '@nestjs/common';
import { ValidationError } from '../core/errors.js';

/** A cycle year in a route: four digits, else 400 naming `year`. */
@Injectable()
export class YearPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^\d{4}$/.test(value)) {
      throw new ValidationError(`Invalid year ${JSON.stringify(value)}`, [
        { path: 'year', message: 'expected a four-digit year such as 2025' },
      ]);
    }
    return Number(value);
  }
}
