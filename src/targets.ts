import { CORE_REASONS, ROTATION_REASONS, type Reason } from './core/check'
import type { Target } from './core/target'
import { connectTarget } from './connect/target'
import { controllerTarget } from './controller/target'
import { kafkaTarget } from './kafka/target'

/**
 * Every target the agent knows, in the order their checks run and their probe lines show.
 * A new target is a new folder plus one entry here.
 */
export const TARGETS = [kafkaTarget, controllerTarget, connectTarget] as const

type DepsOf<T> = T extends Target<infer D> ? D : never
type Intersect<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never

/** The test seams of every target, as one object (each target reads its own keys). */
export type TargetDeps = Intersect<DepsOf<typeof TARGETS[number]>>

/** Every reason code a verdict can carry: core's, then each target's. */
export const REASONS: readonly Reason[] = [...CORE_REASONS, ...ROTATION_REASONS, ...TARGETS.flatMap((t) => t.reasons)]
