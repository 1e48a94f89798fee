/**
 * Entry point: mounts the app, then starts the view worker in a task of its
 * own (before any photo, so that a photo's first frame need not wait for it;
 * after the first render, which is the page's longest task while it loads).
 */
import { render } from "preact";
import { App } from "./app.js";
import { viewWorker } from "./view-painter.js";

render(<App />, document.getElementById("app") as HTMLElement);
setTimeout(viewWorker, 0);
