// A small typed client: what a web or mobile front end needs of the API, with no framework.
// - GraphQL over HTTP with `application/graphql-response+json`;
// - automatic persisted queries: the hash first, the text only when the server asks for it
//   (the text exactly as hashed: graphql-codegen's src/gql/persisted-documents.json);
// - sessions: the token and when it ends; a refused token comes back as SessionEnded (401);
// - messages in the reader's language (Accept-Language).
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";

export interface GraphQLError {
  message: string;
  extensions?: { code?: string; reason?: string; field?: string };
}

export class SessionEnded extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

export class RequestFailed extends Error {
  constructor(readonly errors: GraphQLError[]) {
    super(errors.map((e) => e.message).join("; "));
  }
}

interface Persisted {
  __meta__?: { hash?: string };
}

export class ApiClient {
  token: string | null = null;

  constructor(
    readonly url: string,
    readonly documents: Record<string, string>,
    readonly language: "vi" | "en" = "vi",
  ) {}

  async request<Result, Variables>(
    document: TypedDocumentNode<Result, Variables>,
    ...[variables]: Variables extends Record<string, never> ? [] : [Variables]
  ): Promise<Result> {
    const hash = (document as Persisted).__meta__?.hash;
    const query = hash && this.documents[hash];
    if (!hash || !query) throw new Error("a document graphql-codegen did not generate");
    const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
    let body = await this.post({ variables, extensions });
    if (body.errors?.[0]?.extensions?.code === "PERSISTED_QUERY_NOT_FOUND") {
      body = await this.post({ query, variables, extensions });
    }
    if (body.errors?.length && !body.data) throw new RequestFailed(body.errors);
    return body.data as Result;
  }

  private async post(payload: object): Promise<{ data?: unknown; errors?: GraphQLError[] }> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/graphql-response+json",
      "accept-language": this.language,
    };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(this.url, { method: "POST", headers, body: JSON.stringify(payload) });
    const body = (await response.json()) as { data?: unknown; errors?: GraphQLError[] };
    if (response.status === 401) {
      const error = body.errors?.[0];
      throw new SessionEnded(error?.extensions?.reason ?? "UNAUTHENTICATED", error?.message ?? "");
    }
    return body;
  }
}
