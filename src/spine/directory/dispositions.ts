/**
 * Which disposition codes the directory recognises. NHS Pathways codes are `Dx` and digits; the
 * booking ones (fs_slotmap) and the emergency department ones are known here, and because "local
 * areas may differ" any code a listed service accepts is known too. A search for a code that is
 * neither is a mistake (a typo, a code from another system), not "no services": it answers 400.
 */

export const DISPOSITION_CODE = /^Dx\d{1,4}$/;

/** fs_slotmap's dispositions that lead to a booking, and Dx02/Dx03 (attend an emergency department). */
export const KNOWN_DISPOSITIONS: ReadonlySet<string> = new Set([
  'Dx02',
  'Dx03',
  'Dx05',
  'Dx06',
  'Dx07',
  'Dx08',
  'Dx10',
  'Dx11',
  'Dx12',
  'Dx13',
  'Dx14',
  'Dx15',
  'Dx75',
  'Dx81',
  'Dx1112',
  'Dx1113',
  'Dx1114',
  'Dx1115',
  'Dx1116',
  'Dx1117',
  'Dx110',
  'Dx111',
  'Dx112',
  'Dx113',
  'Dx114',
  'Dx115',
  'Dx117',
]);

export const isDispositionCode = (code: unknown): code is string =>
  typeof code === 'string' && DISPOSITION_CODE.test(code);
