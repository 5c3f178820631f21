/** Image files imported from packages (Leaflet's marker): the bundler gives their URL. */
declare module "*.png" {
  const url: string;
  export default url;
}
