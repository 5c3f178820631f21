/** Registers every host binding (importing this module is enough). */
import "./events.ts";
import "./models.ts";
import "./app.ts";
import "./root.ts";
