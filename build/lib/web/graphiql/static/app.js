// GraphiQL for this API, from files this server ships (no CDN). Adapted from strawberry's
// GraphiQL page (MIT): the query, variables and headers live in the URL so a link shares them.
const EXAMPLE = `# Phản ánh hiện trường — GraphQL API
#
# Run with Ctrl-Enter. Sign in with the login mutation, then put the token in the
# Headers tab below: {"Authorization": "Bearer <token>"}.
# Messages come in Vietnamese; add "Accept-Language": "en" there for English.

query NewestReports {
  reports(first: 5) {
    nodes { code title status dueAt category { name } agency { name } }
  }
}
`;

const parameters = Object.fromEntries(new URLSearchParams(window.location.search));

function updateURL(changes) {
  Object.assign(parameters, changes);
  const kept = Object.entries(parameters).filter(([, value]) => Boolean(value));
  history.replaceState(null, "", "?" + new URLSearchParams(kept).toString());
}

const url = window.location.href.split("?")[0];
const socket = new URL(url);
socket.protocol = socket.protocol === "https:" ? "wss:" : "ws:";
socket.hash = "";

const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl: socket.toString() });

function App() {
  const [query, setQuery] = React.useState(parameters.query || EXAMPLE);
  const [variables, setVariables] = React.useState(parameters.variables);
  const [headers, setHeaders] = React.useState(parameters.headers);
  const explorer = GraphiQLPluginExplorer.explorerPlugin();
  return React.createElement(GraphiQL, {
    fetcher,
    defaultEditorToolsVisibility: true,
    plugins: [explorer],
    query,
    variables,
    headers,
    onEditQuery: (value) => { setQuery(value); updateURL({ query: value }); },
    onEditVariables: (value) => { setVariables(value); updateURL({ variables: value }); },
    onEditHeaders: (value) => { setHeaders(value); },
    inputValueDeprecation: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
  });
}

ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
