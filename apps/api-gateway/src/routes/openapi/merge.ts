/** The parts of an OpenAPI 3.1 document the merge touches; everything else is carried as is. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string; [key: string]: unknown };
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  tags?: { name: string; description?: string }[];
  [key: string]: unknown;
}

/** A service's document as fetched, or why it is missing. */
export type FetchedDocument =
  { service: string; document: OpenApiDocument } | { service: string; problem: string };

const operationKeys = new Set([
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
]);

/** Replaces every `$ref` found in `renames`, deep, in a copy. */
function renameRefs(value: unknown, renames: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => renameRefs(item, renames));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] =
      key === '$ref' && typeof item === 'string'
        ? (renames.get(item) ?? item)
        : renameRefs(item, renames);
  }
  return copy;
}

/**
 * Merges the services' documents into the gateway's: all paths, all components. A component
 * name two services use for different things keeps its name in the first and becomes
 * `<service>.<name>` in the next (with its references rewritten), so no schema is lost or
 * swapped. Operations without tags are tagged with their service, and every operation lists
 * the answers the gateway itself may give (`gatewayResponses`). Missing services are named in
 * `x-conveyor-unavailable` and in the description.
 */
export function mergeDocuments(
  gateway: OpenApiDocument,
  fetched: readonly FetchedDocument[],
  gatewayResponses: Record<string, unknown>,
): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Record<string, Record<string, unknown>> = structuredClone(
    gateway.components ?? {},
  );
  const tags = [...(gateway.tags ?? [])];
  const unavailable: { service: string; problem: string }[] = [];

  for (const entry of fetched) {
    if ('problem' in entry) {
      unavailable.push({ service: entry.service, problem: entry.problem });
      continue;
    }
    const renames = new Map<string, string>();
    for (const [type, entries] of Object.entries(entry.document.components ?? {})) {
      for (const [name, definition] of Object.entries(entries)) {
        const existing = components[type]?.[name];
        if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(definition)) {
          renames.set(
            `#/components/${type}/${name}`,
            `#/components/${type}/${entry.service}.${name}`,
          );
        }
      }
    }
    const document = renameRefs(entry.document, renames) as OpenApiDocument;
    for (const [type, entries] of Object.entries(document.components ?? {})) {
      const target = (components[type] ??= {});
      for (const [name, definition] of Object.entries(entries)) {
        const renamed = renames.get(`#/components/${type}/${name}`)?.split('/').pop() ?? name;
        target[renamed] ??= definition;
      }
    }
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      const merged: Record<string, unknown> = { ...paths[path] };
      for (const [key, value] of Object.entries(item)) {
        if (!operationKeys.has(key) || value === null || typeof value !== 'object') {
          merged[key] = value;
          continue;
        }
        const operation = value as { tags?: string[]; responses?: Record<string, unknown> };
        merged[key] = {
          ...operation,
          tags: operation.tags?.length ? operation.tags : [entry.service],
          responses: { ...gatewayResponses, ...operation.responses },
        };
      }
      paths[path] = merged;
    }
    for (const tag of document.tags ?? [])
      if (!tags.some((known) => known.name === tag.name)) tags.push(tag);
    if (!tags.some((known) => known.name === entry.service)) tags.push({ name: entry.service });
  }

  const description =
    unavailable.length === 0
      ? gateway.info.description
      : `${gateway.info.description ?? ''}\n\n**Not included right now** (the service did not answer): ${unavailable
          .map(({ service }) => service)
          .join(', ')}.`;
  return {
    ...gateway,
    info: { ...gateway.info, ...(description === undefined ? {} : { description }) },
    tags,
    paths,
    components,
    ...(unavailable.length > 0 ? { 'x-conveyor-unavailable': unavailable } : {}),
  };
}
