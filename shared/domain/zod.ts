/**
 * zod for every runtime schema: zod/mini, whose functions tree-shake (classic zod puts its whole
 * method-laden API, ~440 KB, in every Lambda bundle), with classic zod's English messages, which mini
 * does not load by itself: error bodies name the field with the same text either way.
 * Import as `import * as z from '<path>/zod'`; never import 'zod' (classic) from code a function bundles.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
