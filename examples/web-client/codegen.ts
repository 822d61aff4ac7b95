// graphql-codegen: typed documents for every `graphql(...)` call in src/, from the API's
// committed schema (../../schema.graphql, printed by `python server.py schema`). The persisted
// documents manifest (src/gql/persisted-documents.json) is what `python server.py
// register-documents` takes when the server runs with PERSISTED_QUERIES=trusted.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        persistedDocuments: { mode: "embedHashInDocument", hashAlgorithm: "sha256" },
      },
      config: {
        useTypeImports: true,
        emitLegacyCommonJSImports: false,
        enumsAsTypes: true,
        scalars: { DateTime: "string", Date: "string", Upload: "File" },
      },
    },
  },
};

export default config;
