/**
 * The zod schema of the order's shipping address, declared once for both contracts that carry it: the
 * API's request body (strict: an unknown field is a 400) and the bus's event payloads (OrderPlaced,
 * ShipmentCreated). The domain type (`Address` in domain/order/shape) is the source; the check below fails
 * to compile when the two part.
 */
import { z } from 'zod';
import type { Address } from '../domain/order/shape';

// ISO 3166-1 alpha-2 officially assigned codes (249).
const COUNTRY_CODES = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV ' +
  'BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ' +
  'ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE ' +
  'IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY ' +
  'MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU ' +
  'NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM ' +
  'SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE ' +
  'VG VI VN VU WF WS YE YT ZA ZM ZW'
).split(' ') as [string, ...string[]];

/** The contract lists the codes (an enum), so a client or a fuzzer knows which ones are accepted. */
const CountryCode = z
  .enum(COUNTRY_CODES, { error: 'must be an ISO 3166-1 alpha-2 code' })
  .pipe(z.string())
  .meta({ description: 'ISO 3166-1 alpha-2 country code.' });

/** Printable text without control characters. */
export const text = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');

/** The address's fields and their rules; `AddressSchema` and the API's strict variant are built from it. */
export const ADDRESS_FIELDS = {
  name: text(1, 200),
  line1: text(1, 200),
  line2: text(1, 200).optional(),
  city: text(1, 100),
  postalCode: text(1, 20),
  country: CountryCode,
} satisfies { [K in keyof Address]-?: z.ZodType<Address[K]> };

/** An address as the bus carries it (unknown fields pass: a consumer reads what it knows). */
export const AddressSchema = z.object(ADDRESS_FIELDS);
