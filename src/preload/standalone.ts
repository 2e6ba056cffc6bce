// The package's ready-made preload. `npm run build` bundles it into dist/preload/standalone.js,
// one CommonJS file requiring only 'electron', for webPreferences.preload or
// registerClientSessionPreload(); an app's own preload calls exposeClientSession() instead.
import { exposeClientSession } from './exposeClientSession';

exposeClientSession();
