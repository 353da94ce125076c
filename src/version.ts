/** The tool's version, recorded in manifest.json. Kept in step with package.json by a unit test. */
export const TOOL_VERSION = '1.0.0';
