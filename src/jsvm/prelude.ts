/**
 * The prelude: the JS half of the bindings, evaluated in every QuickJS context before user code.
 * Its parts are plain JS files (embedded as text, so they ship inside the binary) concatenated into
 * one strict function body; they share helpers and export only what they set on `globalThis`.
 */
// @ts-expect-error -- a text import: Bun embeds the file's content as a string
import core from "./prelude/core.js" with { type: "text" };
// @ts-expect-error -- text import
import globals from "./prelude/globals.js" with { type: "text" };
// @ts-expect-error -- text import
import request from "./prelude/request.js" with { type: "text" };
// @ts-expect-error -- text import
import namespaces from "./prelude/namespaces.js" with { type: "text" };
// @ts-expect-error -- text import
import template from "./prelude/template.js" with { type: "text" };
// @ts-expect-error -- text import
import context from "./prelude/context.js" with { type: "text" };

/** The prelude source. */
export const PRELUDE: string = `(function () {\n"use strict";\n${[core, globals, request, namespaces, template, context].join("\n")}\n})();\n`;
