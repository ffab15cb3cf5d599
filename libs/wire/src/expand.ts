/**
 * `expand[]` (stripe-wire.md, "Lists and pagination"): dotted paths naming fields that hold
 * an id string; an expanded field holds the object instead. Paths nest (`customer.
 * invoice_settings.default_payment_method`) and may pass through embedded objects and lists
 * (`latest_invoice.lines.data.price`). On list endpoints every path starts with `data.`.
 *
 * Which fields are expandable is data, not code: an ExpandRegistry maps an object type
 * (`payment_intent`) and a field (`customer`) to a kind (`customer`), and each kind to an
 * async resolver (id → object). Nothing here knows any resource.
 */
import { isPlainObject } from './coerce.js';
import {
  StripeError,
  invalidRequest,
  parameterInvalidArray,
  parameterInvalidString,
} from './stripe-error.js';

/** Stripe: "Expansions have a maximum depth of four levels" (the `data.` prefix included). */
export const MAX_EXPAND_DEPTH = 4;

/** Field name → deeper expansions under it. */
export type ExpandTree = Map<string, ExpandTree>;

export type StripeObject = Record<string, unknown>;

export interface ExpandRegistry {
  /**
   * Object type (the `object` field) → expandable field → resolver kind. Fields inside
   * embedded objects that have no `object` of their own are named by their dotted path from
   * the nearest typed object: `customer: { 'invoice_settings.default_payment_method': 'payment_method' }`.
   */
  fields: Record<string, Record<string, string>>;
  /** Kind → loader; null when the id resolves to nothing (the id string is then kept). */
  resolvers: Record<string, (id: string) => Promise<StripeObject | null>>;
}

const SEGMENT = /^[a-z0-9_]+$/;

/**
 * Parse the `expand` parameter (`expand[0]=a&expand[1]=b.c`, `expand[]=a`, or a single
 * `expand=a`) into a tree. With `list: true`, paths must start with `data.`, which is removed.
 */
export function parseExpand(value: unknown, options: { list?: boolean } = {}): ExpandTree {
  const tree: ExpandTree = new Map();
  if (value === undefined || value === '') return tree;
  const paths = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(paths)) throw parameterInvalidArray('expand');
  paths.forEach((path: unknown, i) => {
    if (typeof path !== 'string') throw parameterInvalidString(`expand[${i}]`, path);
    if (path === '') return;
    const segments = path.split('.');
    if (!segments.every((s) => SEGMENT.test(s))) throw cannotExpand(path);
    if (segments.length > MAX_EXPAND_DEPTH) {
      throw invalidRequest(
        `This property cannot be expanded (${path}): expansions are limited to ${MAX_EXPAND_DEPTH} levels.`,
        { param: 'expand' },
      );
    }
    if (options.list) {
      if (segments[0] !== 'data' || segments.length === 1) {
        throw invalidRequest(
          `This property cannot be expanded (${path}). You may want to try expanding 'data.${path}' instead.`,
          { param: 'expand' },
        );
      }
      segments.shift();
    }
    let node = tree;
    for (const segment of segments) {
      let child = node.get(segment);
      if (!child) {
        child = new Map();
        node.set(segment, child);
      }
      node = child;
    }
  });
  return tree;
}

export interface ExpandOptions {
  /** Segments shown before each path in errors: ['data'] when expanding list items. */
  pathPrefix?: string[];
}

/**
 * A copy of `object` with the fields named by `tree` expanded; `object` is not modified.
 * Resolutions are shared within one call (one load per kind+id). Throws 400 "This property
 * cannot be expanded (path)." for a path that names neither an expandable field nor an
 * embedded object to walk through.
 */
export async function expandObject(
  object: StripeObject,
  tree: ExpandTree,
  registry: ExpandRegistry,
  options: ExpandOptions = {},
): Promise<StripeObject> {
  if (tree.size === 0) return object;
  const cache = new Map<string, Promise<StripeObject | null>>();
  const resolve = (kind: string, id: string): Promise<StripeObject | null> => {
    const resolver = registry.resolvers[kind];
    if (!resolver) throw new Error(`expand: no resolver for kind ${kind}`);
    const key = `${kind}\u0000${id}`;
    let pending = cache.get(key);
    if (!pending) {
      pending = resolver(id);
      cache.set(key, pending);
    }
    return pending;
  };
  return expandNode(object, tree, options.pathPrefix ?? [], { type: undefined, path: [] }, registry, resolve);
}

/** Expand every item of a list envelope (tree from parseExpand with `list: true`). */
export async function expandList<L extends { data: StripeObject[] }>(
  list: L,
  tree: ExpandTree,
  registry: ExpandRegistry,
): Promise<L> {
  if (tree.size === 0) return list;
  const data = await Promise.all(
    list.data.map((item) => expandObject(item, tree, registry, { pathPrefix: ['data'] })),
  );
  return { ...list, data };
}

type Resolve = (kind: string, id: string) => Promise<StripeObject | null>;

/** The nearest enclosing object with an `object` type, and the path from it. */
interface Owner {
  type: string | undefined;
  path: string[];
}

async function expandNode(
  object: StripeObject,
  tree: ExpandTree,
  path: string[],
  parent: Owner,
  registry: ExpandRegistry,
  resolve: Resolve,
): Promise<StripeObject> {
  const out: StripeObject = { ...object };
  const owner: Owner = typeof object.object === 'string' ? { type: object.object, path: [] } : parent;
  await Promise.all(
    [...tree].map(async ([field, subtree]) => {
      const fieldPath = [...path, field];
      const inOwner = { type: owner.type, path: [...owner.path, field] };
      const kind =
        owner.type === undefined ? undefined : registry.fields[owner.type]?.[inOwner.path.join('.')];
      let value = out[field];
      if (kind !== undefined) {
        if (typeof value === 'string') value = (await resolve(kind, value)) ?? value;
        if (subtree.size > 0 && isPlainObject(value)) {
          value = await expandNode(value, subtree, fieldPath, inOwner, registry, resolve);
        }
        out[field] = value;
        return;
      }
      // Not expandable itself: only a way through to something deeper that is.
      if (subtree.size === 0 || value === undefined) throw cannotExpand(fieldPath.join('.'));
      if (value === null) return;
      if (Array.isArray(value)) {
        out[field] = await Promise.all(
          value.map((item) =>
            isPlainObject(item) ? expandNode(item, subtree, fieldPath, inOwner, registry, resolve) : item,
          ),
        );
      } else if (isPlainObject(value)) {
        out[field] = await expandNode(value, subtree, fieldPath, inOwner, registry, resolve);
      } else {
        throw cannotExpand(fieldPath.join('.'));
      }
    }),
  );
  return out;
}

/** Stripe's wording. */
export function cannotExpand(path: string): StripeError {
  return invalidRequest(`This property cannot be expanded (${path}).`, { param: 'expand' });
}
