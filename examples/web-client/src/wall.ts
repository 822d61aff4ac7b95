// The public wall's live feed from a typed client: graphql-ws (the reference client of the
// graphql-transport-ws protocol), resuming with `after` from the last event's cursor.
import { createClient, type Client } from "graphql-ws";
import { print } from "graphql";
import { graphql } from "./gql/index.js";
import type { WallFeedSubscription } from "./gql/graphql.js";

export const WallFeed = graphql(`
  subscription WallFeed($after: String) {
    publicFeed(after: $after) {
      seq cursor at kind
      report { code title status agency { name } }
    }
  }
`);

export type WallEvent = WallFeedSubscription["publicFeed"];

export function watchWall(url: string, onEvent: (event: WallEvent) => void): Client {
  let after: string | null = null;
  const client = createClient({ url, connectionParams: { language: "vi" }, lazy: false });
  const subscribe = (): void => {
    client.subscribe<WallFeedSubscription>(
      { query: print(WallFeed), variables: { after } },
      {
        next: ({ data }) => {
          if (!data) return;
          after = data.publicFeed.cursor;
          onEvent(data.publicFeed);
        },
        error: () => setTimeout(subscribe, 1000),
        complete: () => undefined,
      },
    );
  };
  subscribe();
  return client;
}
