import { z } from 'zod';

export const SALESFORCE = { id: 'salesforce', name: 'Salesforce' };
export const SCOPES = ['api'];

export const sobjectInput = z
  .string()
  .trim()
  .max(80)
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, 'an object API name such as "Account" or "Case"')
  .describe('the object API name, e.g. "Account", "Contact", "Case", "Custom__c"');

export const recordIdInput = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/, 'a 15- or 18-character Salesforce id')
  .describe('the record id, e.g. "001xx000003DGb2AAG"');

export const fieldsInput = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, 'a field API name'),
    z.union([z.string().max(32_000), z.number(), z.boolean(), z.null()]),
  )
  .refine((f) => Object.keys(f).length >= 1 && Object.keys(f).length <= 100, '1 to 100 fields')
  .describe('field API names and values, e.g. {"Name": "Acme", "Industry": "Energy"}');
