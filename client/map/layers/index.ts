import type { EntityKind } from '../../../shared/entities.ts';
import type { EntityLayerDef } from './entity-layer.ts';
import { binLayer } from './bins.ts';
import { muckTruckLayer } from './muck-trucks.ts';
import { staffLayer } from './staff.ts';
import { toiletLayer } from './toilets.ts';
import { vehicleLayer } from './vehicles.ts';

/** Drawing order, bottom to top: the many small static dots first, moving fleets on top. */
export const ENTITY_LAYER_DEFS: readonly EntityLayerDef[] = [binLayer, toiletLayer, staffLayer, vehicleLayer, muckTruckLayer];

/**
 * Kinds that glide between reports. Staff walk ~1 m between reports — invisible at district
 * scale — so they are redrawn once per report instead of every frame.
 */
export const GLIDING_KINDS: ReadonlySet<EntityKind> = new Set(['vehicle', 'muckTruck']);
