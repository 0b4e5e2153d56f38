/**
 * A Worker's wrangler config as two Workers, as Cloudflare runs a Worker apart from its Durable
 * Objects: the Worker, whose object bindings name the second by `script_name` (wrangler's dev
 * registry connects two `wrangler dev` processes), and the objects' Worker, the same code, which
 * runs the objects. Both give each KV binding the same local id, so they share one namespace in a
 * shared state folder. The profile's split run uses it for the project and for the floor fixture.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseJsonc } from "jsonc-parser";

interface WranglerConfig extends Record<string, unknown> {
  name: string;
  main: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
  assets?: Record<string, unknown> & { directory: string };
  kv_namespaces?: { binding: string }[];
  images?: unknown;
  durable_objects: { bindings: Record<string, unknown>[] };
  migrations?: unknown;
}

export interface SplitConfigs {
  /** The Worker's config file, and the objects' Worker's. */
  worker: string;
  objects: string;
}

/** Writes both configs into `folder` (paths in them made absolute) and returns where. */
export function writeSplitConfigs(configPath: string, folder: string): SplitConfigs {
  const config = parseJsonc(readFileSync(configPath, "utf8")) as WranglerConfig;
  const from = (path: string) => resolve(dirname(configPath), path);
  const objectsName = `${config.name}-objects`;
  const main = from(config.main);
  const kv = config.kv_namespaces?.map((namespace) => ({ ...namespace, id: `split-${namespace.binding}` }));
  const { migrations, ...rest } = config;
  const worker = {
    ...rest,
    main,
    ...(config.assets ? { assets: { ...config.assets, directory: from(config.assets.directory) } } : {}),
    kv_namespaces: kv,
    durable_objects: {
      bindings: config.durable_objects.bindings.map((binding) => ({ ...binding, script_name: objectsName })),
    },
  };
  const objects = {
    name: objectsName,
    main,
    compatibility_date: config.compatibility_date,
    compatibility_flags: config.compatibility_flags,
    images: config.images,
    kv_namespaces: kv,
    durable_objects: config.durable_objects,
    migrations,
  };
  const files = { worker: join(folder, "worker.jsonc"), objects: join(folder, "objects.jsonc") };
  writeFileSync(files.worker, JSON.stringify(worker, null, 2));
  writeFileSync(files.objects, JSON.stringify(objects, null, 2));
  return files;
}
