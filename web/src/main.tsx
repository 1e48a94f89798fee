/** Entry point: mounts the app, and starts the view worker so that a photo's first frame need not wait for it. */
import { render } from "preact";
import { App } from "./app.js";
import { viewWorker } from "./view-painter.js";

viewWorker();
render(<App />, document.getElementById("app") as HTMLElement);
