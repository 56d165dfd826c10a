
// Session "{{name}}" ({{storage}} storage, version {{version}}).

{{dataDoc}}
{{data}}

/** Flash channels of `{{name}}`, each with the type of one flashed value. */
{{flash}}

{{handleDoc}}
export type {{Name}}Session = SessionHandle<
  {{Name}}Data,
  {{Name}}Flash,
  {{messages}},
  {{expiryLimit}}
>;

/** Data version of `{{name}}`, stored with every cookie or record; bump it with a migration. */
export const {{NAME}}_VERSION = {{version}};
{{previous}}

{{codec}}
