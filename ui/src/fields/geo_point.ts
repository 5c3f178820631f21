/**
 * The "geoPoint" field's input: longitude/latitude numbers plus a Leaflet map picker (drag the
 * marker or click the map; typing moves the marker). The map works without tiles: when the tile
 * server is unreachable the marker still shows and moves on a blank map. The tile URL template is
 * a per-browser dashboard setting (localStorage), defaulting to OpenStreetMap's. Leaflet is loaded
 * on first use (its own chunk).
 */
import type * as Leaflet from "leaflet";
import markerIcon from "leaflet/dist/images/marker-icon.png";
import markerIcon2x from "leaflet/dist/images/marker-icon-2x.png";
import markerShadow from "leaflet/dist/images/marker-shadow.png";
import { store } from "../lib/app.ts";
import { h, onUnmount } from "../lib/dom.ts";
import { icon } from "../lib/icons.ts";
import type { Field, InputCtx } from "./types.ts";

export const DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
const TILE_KEY = "mapTileUrl";
export const tileUrl = () => store.get<string>(TILE_KEY, "") || DEFAULT_TILE_URL;

let leafletModule: Promise<typeof Leaflet> | undefined;
const loadLeaflet = () =>
  (leafletModule ??= import("leaflet").then((m) => ((m as any).default ?? m) as typeof Leaflet));

/** Six decimals (~0.1 m), as upstream keeps picked points. */
const fixed = (n: number) => +(+n).toFixed(6) || 0;
const clamp = (n: number, lim: number) => Math.max(-lim, Math.min(lim, n));

export function geoPointInput(f: Field, ctx: InputCtx): HTMLElement {
  const val = (ctx.data[f.name] ??= { lon: 0, lat: 0 });
  let map: Leaflet.Map | undefined;
  let marker: Leaflet.Marker | undefined;
  let tiles: Leaflet.TileLayer | undefined;

  const num = (k: "lon" | "lat", label: string, lim: number) => {
    const el = h("input", {
      type: "number",
      step: "any",
      min: -lim,
      max: lim,
      value: val[k] ?? 0,
      "aria-label": label,
    }) as HTMLInputElement;
    el.addEventListener("input", () => {
      val[k] = el.value === "" ? 0 : Number(el.value);
      moveMarker(true);
    });
    return el;
  };
  const lonIn = num("lon", "Longitude", 180);
  const latIn = num("lat", "Latitude", 90);

  const moveMarker = (pan: boolean) => {
    if (!map || !marker) return;
    const at: [number, number] = [clamp(val.lat || 0, 90), clamp(val.lon || 0, 180)];
    marker.setLatLng(at);
    if (pan) map.panInside(at, { padding: [20, 40] });
  };
  /** A point picked on the map: store it, show it in the inputs. */
  const pick = (lat: number, lon: number) => {
    val.lat = fixed(clamp(lat, 90));
    // a click on a wrapped world copy gives lon beyond ±180
    val.lon = fixed(((((lon + 180) % 360) + 360) % 360) - 180);
    latIn.value = String(val.lat);
    lonIn.value = String(val.lon);
    moveMarker(false);
    ctx.changed();
  };

  const mapBox = h("div.geo-map", { "data-testid": `map-${f.name}` });
  const tileIn = h("input", {
    type: "url",
    placeholder: DEFAULT_TILE_URL,
    value: store.get<string>(TILE_KEY, ""),
    "aria-label": "Map tile URL",
  }) as HTMLInputElement;
  const tileRow = h(
    "div.geo-tiles",
    { hidden: true },
    tileIn,
    h(
      "button.btn.sm",
      {
        type: "button",
        onclick: () => {
          store.set(TILE_KEY, tileIn.value.trim());
          tileNote.hidden = true;
          tiles?.setUrl(tileUrl());
          tileRow.hidden = true;
        },
      },
      "Save",
    ),
    // the dashboard's CSP (upstream's) lets images come only from these: other tile servers need a proxy
    h(
      "div.help",
      null,
      "Tile URL template ({z}/{x}/{y}) for the map, kept in this browser; empty for OpenStreetMap. " +
        "The dashboard loads images only from this server, 127.0.0.1 and tile.openstreetmap.org.",
    ),
  );
  const tileNote = h(
    "div.help",
    { hidden: true, "data-testid": `map-note-${f.name}` },
    "Map tiles could not be loaded (offline, or see Map tiles…): the marker still sets the point.",
  );
  const panel = h(
    "div.geo-panel",
    { hidden: true },
    mapBox,
    tileNote,
    h(
      "div.form-row.between",
      null,
      h("span.help", null, "Click the map or drag the marker to set the point."),
      h("button.link.sm", { type: "button", onclick: () => (tileRow.hidden = !tileRow.hidden) }, "Map tiles…"),
    ),
    tileRow,
  );

  const showMap = async () => {
    panel.hidden = !panel.hidden;
    mapBtn.setAttribute("aria-pressed", String(!panel.hidden));
    if (panel.hidden) return;
    if (map) return void map.invalidateSize();
    const L = await loadLeaflet();
    const at: [number, number] = [clamp(val.lat || 0, 90), clamp(val.lon || 0, 180)];
    const unset = !val.lat && !val.lon;
    map = L.map(mapBox, { worldCopyJump: true }).setView(at, unset ? 2 : 8);
    tiles = L.tileLayer(tileUrl(), {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
    }).addTo(map);
    // offline or a wrong tile URL: say so once, the marker still works on the blank map
    tiles.on("tileerror", () => (tileNote.hidden = false));
    tiles.on("tileload", () => (tileNote.hidden = true));
    // the bundled marker images (Leaflet would otherwise guess their path from its CSS)
    // the bundler gives their paths relative to this script (assets/), not to the page (/_/)
    const url = (p: string) => new URL(p, import.meta.url).href;
    const pin = L.icon({
      ...L.Icon.Default.prototype.options,
      iconUrl: url(markerIcon),
      iconRetinaUrl: url(markerIcon2x),
      shadowUrl: url(markerShadow),
    });
    marker = L.marker(at, {
      draggable: true,
      autoPan: true,
      icon: pin,
      title: "Drag to move",
      alt: `${f.name} marker`,
    }).addTo(map);
    marker.on("dragend", () => {
      const p = marker!.getLatLng();
      pick(p.lat, p.lng);
    });
    map.on("click", (e: Leaflet.LeafletMouseEvent) => pick(e.latlng.lat, e.latlng.lng));
  };
  const mapBtn = h("button.btn.sm", { type: "button", "aria-pressed": "false", onclick: showMap }, icon("pin"), "Map");
  const wrap = h(
    "div.geo-input",
    null,
    h(
      "div.row.gap",
      null,
      h("label.inline-field", null, h("span", null, "Longitude"), lonIn),
      h("label.inline-field", null, h("span", null, "Latitude"), latIn),
      mapBtn,
    ),
    panel,
  );
  onUnmount(wrap, () => map?.remove());
  return wrap;
}
