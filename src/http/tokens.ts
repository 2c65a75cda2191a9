/** DI tokens. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const PROJECTION = Symbol('PROJECTION');
export const COMMAND_SERVICE = Symbol('COMMAND_SERVICE');
export const READ_SIDE = Symbol('READ_SIDE');
export const EVENT_STORE_TOKEN = Symbol('EVENT_STORE_TOKEN');
export const AUDIT_INDEX = Symbol('AUDIT_INDEX');
