/**
 * The header the console's own script adds to every change it asks for (the CSRF fence, see
 * auth.ts). Its own module, importing nothing, so the console's bundle can take it from here.
 */
export const CONSOLE_HEADER = 'x-gateway-console'
