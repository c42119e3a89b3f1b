import { InvalidArgumentError } from '../core/errors.js';
import type { GeoArea, IndexPlugin } from '../store/fields.js';
import { checkPoint, geohashScore } from './geohash.js';
import type { GeoPoint } from './geohash.js';

/** The geo index plug-in of `t.geo()`: one Redis geo set per partition and field (`...:x:<field>:geo`). */
export const geoIndex: IndexPlugin<GeoPoint, GeoArea> = Object.freeze({
  kind: 'geo',
  geo: Object.freeze({ key: 'geo' }),
  entries: (point: GeoPoint) => [{ key: 'geo', score: geohashScore(checkPoint(point, 'point')) }],
  lookup: (): never => {
    throw new InvalidArgumentError('match', 'geo areas are answered by GEOSEARCH, not ranges');
  },
});

/** The validation rule of geo fields: true, or why the point is not one Redis can index. */
export function pointRule(point: GeoPoint): true | string {
  try {
    checkPoint(point, 'point');
    return true;
  } catch (error) {
    return error instanceof InvalidArgumentError ? `${error.field.replace(/^point\./, '')} ${error.reason}` : 'is not a point';
  }
}
