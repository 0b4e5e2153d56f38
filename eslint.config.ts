/**
 * Lint rules for every TypeScript file in the repository and the playground's
 * browser JavaScript (public/): typescript-eslint's type-checked
 * recommendations, with the type information of the three tsconfigs (the
 * Worker's, Node's and the browser code's). Formatting is prettier's job, not
 * this file's.
 */
import eslint from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["node_modules/", "**/.wrangler/", "dist/", "worker-configuration.d.ts"] },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ["./tsconfig.json", "./tsconfig.node.json", "./tsconfig.public.json"],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      // `const { dropped, ...rest } = x` is how this code leaves a field out of a copy.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
      // The prompt cleaner's whole point is a character class of control characters.
      "no-control-regex": "off",
    },
  },
  {
    // The playground runs in browsers: their globals (document, location, …), and no Node ones.
    files: ["public/**/*.js"],
    languageOptions: { globals: globals.browser, sourceType: "module" },
  },
  {
    files: ["test/**"],
    rules: {
      // vitest's asymmetric matchers (expect.any, expect.stringMatching, …) are typed `any` by design.
      "@typescript-eslint/no-unsafe-assignment": "off",
    },
  },
);
