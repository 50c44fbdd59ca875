/**
 * The booking app's JSON API (`/api/…`, src/consumer/web.ts), declared once: Fastify checks each
 * request against these schemas before a handler runs and serialises each answer with them, and the
 * server's and the web app's types are derived from them (web/src/booking/api.ts imports them
 * type-only). A property's `errorMessage` and `errorCode` are the message and code a client gets
 * when it is wrong or missing (src/validation/route-schema.ts).
 *
 * This module imports only `typebox`, so the browser build can read its types.
 */
import { Type, type Static } from 'typebox';

/** Text with something in it besides spaces (the handlers trim it). */
const given = (errorMessage: string, errorCode = 'missing') => Type.String({ pattern: '\\S', errorMessage, errorCode });
/** Optional text; the handlers read a blank one as not given. */
const text = (field: string) =>
  Type.Optional(Type.String({ errorMessage: `${field} must be text`, errorCode: 'bad-request' }));
const flag = (field: string) =>
  Type.Optional(Type.Boolean({ errorMessage: `${field} must be true or false`, errorCode: 'bad-request' }));
const bodyMessage = { errorMessage: 'The request body must be a JSON object.', errorCode: 'bad-request' };

// Requests

const whereMessage = 'Give the disposition and the patient’s postcode.';
export const ServicesQuery = Type.Object({
  disposition: given(whereMessage),
  postcode: given(whereMessage),
  age: Type.Optional(
    Type.Union([Type.Integer({ minimum: 0, maximum: 130 }), Type.Literal('')], {
      errorMessage: 'Age must be a whole number of years.',
      errorCode: 'bad-age',
    }),
  ),
  encounterId: text('encounterId'),
  registeredPractice: text('registeredPractice'),
  /** Where the patient is now, when it is not their postcode (always for a ZZ99 no-fixed-abode postcode). */
  location: text('location'),
});

export const ServiceParams = Type.Object({ id: Type.String() });

export const SlotsQuery = Type.Object({
  disposition: text('disposition'),
  encounterId: text('encounterId'),
  /** When the patient was assessed (the time frame runs from here); now when not given. */
  assessedAt: text('assessedAt'),
});

/** Rejecting the top service, or referring without a booking. */
export const EncounterBody = Type.Object(
  { encounterId: text('encounterId'), disposition: text('disposition') },
  bodyMessage,
);

const chooseMessage = 'Choose a service and a slot.';
export const BookingRequest = Type.Object(
  {
    serviceId: given(chooseMessage),
    slotId: given(chooseMessage),
    /** A FHIR STU3 Patient; the consumer checks what a booking needs of it (src/consumer/patient.ts). */
    patient: Type.Optional(Type.Unknown()),
    reason: text('reason'),
    disposition: text('disposition'),
    /** The call handler has approved a slot past the disposition's time frame. */
    approveBreach: flag('approveBreach'),
    encounterId: text('encounterId'),
    registeredPractice: text('registeredPractice'),
    assessedAt: text('assessedAt'),
  },
  bodyMessage,
);
export type BookingRequest = Static<typeof BookingRequest>;

export const BookingsQuery = Type.Object({
  nhsNumber: Type.String({
    pattern: '^\\s*(\\d\\s*){10}$',
    errorMessage: 'Give the patient’s 10-digit NHS number.',
    errorCode: 'bad-nhs-number',
  }),
});

export const CancelRequest = Type.Object(
  { appointmentUrl: given('Which appointment?'), encounterId: text('encounterId') },
  bodyMessage,
);

const rebookMessage = 'Which appointment, and which new slot?';
export const RebookRequest = Type.Object(
  {
    appointmentUrl: given(rebookMessage),
    slotId: given(rebookMessage),
    encounterId: text('encounterId'),
    approveBreach: flag('approveBreach'),
    /** The reason sent with the new booking (default: the old appointment's). */
    reason: text('reason'),
  },
  bodyMessage,
);

export const ReferralParams = Type.Object({ documentId: Type.String() });

// Answers

export const Disposition = Type.Object({ code: Type.String(), text: Type.String() });
export type Disposition = Static<typeof Disposition>;
export const DispositionList = Type.Array(Disposition);

/**
 * A slot as a call handler sees it (src/consumer/slots.ts): start, end, the delivery channel (never
 * defaulted), service, location, practitioner role, name and gender, organisation.
 */
const slotFields = {
  id: Type.String(),
  /** The slot's UUID identifier, which a booking names. */
  identifier: Type.Optional(Type.String()),
  scheduleId: Type.Optional(Type.String()),
  start: Type.String(),
  end: Type.String(),
  status: Type.String(),
  /** In-person, Telephone, Video… or absent when the provider did not say (never defaulted). */
  deliveryChannel: Type.Optional(Type.String()),
  service: Type.Optional(Type.Object({ id: Type.String(), name: Type.Optional(Type.String()) })),
  location: Type.Optional(Type.Object({ name: Type.Optional(Type.String()), address: Type.Optional(Type.String()) })),
  practitioner: Type.Optional(
    Type.Object({ name: Type.Optional(Type.String()), gender: Type.Optional(Type.String()) }),
  ),
  role: Type.Optional(Type.String()),
  organisation: Type.Optional(Type.String()),
};
export const SlotView = Type.Object(slotFields);
export type SlotView = Static<typeof SlotView>;
/** A slot in the web API's answers: with how far past the disposition's time frame it starts. */
export const Slot = Type.Object({
  ...slotFields,
  /** Minutes past the disposition's time frame (0: within it). */
  breachMinutes: Type.Optional(Type.Number()),
});
export type Slot = Static<typeof Slot>;

/** Each object keeps what the server sends besides what is declared (the directory's own fields). */
const open = { additionalProperties: true } as const;

/** A ranked service from the directory, with how it can be booked and its free slots. */
export const FoundService = Type.Object({
  service: Type.Object(
    {
      rank: Type.Number(),
      id: Type.String(),
      name: Type.String(),
      type: Type.String(),
      address: Type.Array(Type.String()),
      distanceMiles: Type.Union([Type.Number(), Type.Null()]),
      openNow: Type.Boolean(),
      nextOpen: Type.Optional(Type.String()),
    },
    open,
  ),
  route: Type.Object(
    {
      bookable: Type.Boolean(),
      /** Why not, technically (ASIDs, endpoints): for support, one click away on the page. */
      message: Type.Optional(Type.String()),
      reason: Type.Optional(Type.String()),
      /** Why not, in plain words for the call handler. */
      plain: Type.Optional(Type.String()),
    },
    open,
  ),
  /** `requirebooking` present and true: no referral without a booking (C2–C4). */
  bookingOnly: Type.Boolean(),
  /** For bookable services: free slots within the search window and within the time frame. */
  availability: Type.Optional(
    Type.Union([
      Type.Object({
        free: Type.Integer(),
        withinTimeFrame: Type.Integer(),
        earliest: Type.Optional(Type.String()),
        earliestWithinTimeFrame: Type.Optional(Type.String()),
      }),
      Type.Object({ error: Type.String() }),
    ]),
  ),
});
export type FoundService = Static<typeof FoundService>;
export const FoundServices = Type.Object({ services: Type.Array(FoundService) });
export type FoundServices = Static<typeof FoundServices>;
/** A rejection of the top service, or a referral without a booking, was recorded. */
export const Recorded = Type.Object({ recorded: Type.Boolean() });
export const Referred = Type.Object({ referred: Type.Boolean() });

export const ServiceSlots = Type.Object({
  service: Type.Object({ id: Type.String(), name: Type.String() }, open),
  /** The disposition's time frame, in words. */
  frame: Type.Optional(Type.String()),
  slots: Type.Array(Slot),
});
export type ServiceSlots = Static<typeof ServiceSlots>;

export const Booked = Type.Object({
  appointmentUrl: Type.String(),
  appointmentId: Type.String(),
  /** The short reference read to the patient: the appointment id's first 8 characters (src/consumer/choosing.ts). */
  reference: Type.String(),
  versionId: Type.String(),
  slot: Slot,
  service: Type.Object({ id: Type.String(), name: Type.String() }),
  breachMinutes: Type.Number(),
  /** The referral document's id (fs_xfercare): GET /api/referrals/{documentId}. */
  documentId: Type.String(),
});
export type Booked = Static<typeof Booked>;

/** A patient's booking as the consumer keeps it. */
export const Booking = Type.Object({
  appointmentUrl: Type.String(),
  serviceId: Type.String(),
  /** The short reference read to the patient. */
  reference: Type.String(),
  status: Type.String(),
  start: Type.String(),
  end: Type.String(),
  versionId: Type.String(),
  /** The service's name from the directory ("Service {id} (not in the directory now)" when it no longer lists it). */
  serviceName: Type.String(),
  /** The patient's name as booked, for the "are you sure" pages. */
  patientName: Type.String(),
  /** The assessment the booking was made for; a rebook keeps its time frame. */
  disposition: Type.Optional(Type.String()),
  assessedAt: Type.Optional(Type.String()),
});
export type Booking = Static<typeof Booking>;
export const BookingList = Type.Object({ bookings: Type.Array(Booking) });
export type BookingList = Static<typeof BookingList>;

export const Cancelled = Type.Object({
  appointmentUrl: Type.String(),
  versionId: Type.String(),
  /** The appointment was already cancelled before we asked. */
  alreadyCancelled: Type.Boolean(),
});
export type Cancelled = Static<typeof Cancelled>;

export const Rebooked = Type.Object({
  booked: Type.Object({ appointmentUrl: Type.String(), versionId: Type.String(), slot: Slot }),
  /** The old appointment's cancellation, or why it failed (the new booking stands). */
  cancelled: Type.Union([Cancelled, Type.Object({ error: Type.String() })]),
});
export type Rebooked = Static<typeof Rebooked>;

// Signing in (`/auth/…`, src/consumer/web-auth.ts)

const signInMessage = 'Enter your user name and password.';
export const SignInRequest = Type.Object(
  {
    username: Type.String({ pattern: '\\S', maxLength: 200, errorMessage: signInMessage, errorCode: 'missing' }),
    password: Type.String({ minLength: 1, maxLength: 500, errorMessage: signInMessage, errorCode: 'missing' }),
  },
  bodyMessage,
);

/** The person signed in, as the JWT the consumer sends names them (requesting_practitioner). */
export const SessionUser = Type.Object({
  /** Their user id: the JWT's `sub` and `requesting_practitioner.id`. */
  id: Type.String(),
  given: Type.String(),
  family: Type.String(),
  /** For the page's header. */
  name: Type.String(),
  /** Their role as a person reads it ("111 call handler"). */
  role: Type.String(),
  /** The SDS user id (CIS2's `uid`); UNK without one. */
  sdsUserId: Type.String(),
  /** The SDS role profile id they signed in with (CIS2's `selected_roleid`); UNK without one. */
  sdsRoleProfileId: Type.String(),
  via: Type.Union([Type.Literal('local'), Type.Literal('oidc')]),
});
export type SessionUser = Static<typeof SessionUser>;

export const SessionInfo = Type.Object({
  user: Type.Union([SessionUser, Type.Null()]),
  /** How one can sign in here: with a local user name and password, and/or (the button's words) OpenID Connect. */
  signIn: Type.Object({ local: Type.Boolean(), oidc: Type.Union([Type.String(), Type.Null()]) }),
});
export type SessionInfo = Static<typeof SessionInfo>;
export const SignedIn = Type.Object({ user: SessionUser });
export type SignedIn = Static<typeof SignedIn>;
