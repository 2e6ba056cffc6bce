/** The demo app's names: its package, its window titles and its user data folder carry them. */
export const DEMO_APP = {
  /** Also the `appId` of every event the demo tracks. */
  name: 'electron-client-session-demo',
  productName: 'Electron Client Session Demo',
} as const;
