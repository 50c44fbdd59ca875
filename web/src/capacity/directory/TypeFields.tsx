/**
 * The form's fields for the types it knows (the others are edited as JSON). Each field's id is where
 * the provider's OperationOutcome about it is shown (resource-fields.ts maps expressions to ids).
 */
import { resourceName, type DirectoryResource, type DirectoryType } from '../api';
import type { Directory } from '../CapacityArea';
import { Input, Radios, Select } from '../forms';
import type { Fields } from './resource-fields';

const GENDERS = [
  { value: 'female', text: 'Female' },
  { value: 'male', text: 'Male' },
  { value: 'other', text: 'Other' },
  { value: 'unknown', text: 'Unknown' },
  { value: '', text: 'Not given' },
];

interface FieldProps {
  fields: Fields;
  setField: (key: keyof Fields) => (value: string) => void;
  /** The problem shown at a field, if any. */
  err: (field: string) => string | undefined;
  directory: Directory;
}

const none = { value: '', text: 'Not given' };

/**
 * The tenant's resources to choose from, and the one the resource names now when the tenant has no
 * such resource (so it is shown, not silently changed).
 */
const options = (list: DirectoryResource[], current: string) => [
  ...list.map((r) => ({ value: r.id, text: resourceName(r) === r.id ? r.id : `${resourceName(r)} (${r.id})` })),
  ...(current && !list.some((r) => r.id === current)
    ? [{ value: current, text: `${current} (not in this tenant)` }]
    : []),
];

export function TypeFields({ type, ...props }: FieldProps & { type: DirectoryType }) {
  switch (type) {
    case 'Location':
      return <LocationFields {...props} />;
    case 'Practitioner':
      return <PractitionerFields {...props} />;
    case 'HealthcareService':
      return <ServiceFields {...props} />;
    default:
      return <ScheduleFields {...props} />;
  }
}

/** A Location: its name and one address. */
function LocationFields({ fields, setField, err }: FieldProps) {
  return (
    <>
      <Input
        id="loc-name"
        label="Name"
        error={err('loc-name')}
        value={fields.name}
        onChange={setField('name')}
        width={30}
      />
      <Input
        id="loc-line1"
        label="Address line 1"
        error={err('loc-line1')}
        value={fields.line1}
        onChange={setField('line1')}
        width={30}
      />
      <Input
        id="loc-line2"
        label="Address line 2 (optional)"
        error={err('loc-line2')}
        value={fields.line2}
        onChange={setField('line2')}
        width={30}
      />
      <Input
        id="loc-city"
        label="Town or city"
        error={err('loc-city')}
        value={fields.city}
        onChange={setField('city')}
        width={20}
      />
      <Input
        id="loc-postcode"
        label="Postcode"
        error={err('loc-postcode')}
        value={fields.postalCode}
        onChange={setField('postalCode')}
        width={10}
      />
    </>
  );
}

/** A Practitioner: one name and a gender. */
function PractitionerFields({ fields, setField, err }: FieldProps) {
  return (
    <>
      <Input
        id="pr-prefix"
        label="Title (optional)"
        hint="For example Dr"
        error={err('pr-prefix')}
        value={fields.prefix}
        onChange={setField('prefix')}
        width={5}
      />
      <Input
        id="pr-given"
        label="Given names"
        error={err('pr-given')}
        value={fields.given}
        onChange={setField('given')}
        width={20}
      />
      <Input
        id="pr-family"
        label="Family name"
        error={err('pr-family')}
        value={fields.family}
        onChange={setField('family')}
        width={20}
      />
      <Radios
        id="pr-gender"
        legend="Gender"
        error={err('pr-gender-0')}
        inline
        options={GENDERS}
        value={fields.gender}
        onChange={setField('gender')}
      />
    </>
  );
}

/** A HealthcareService: its directory service ID, name, type, location and organisation. */
function ServiceFields({ fields, setField, err, directory }: FieldProps) {
  return (
    <>
      <Input
        id="hs-dos"
        label="Directory service ID"
        hint="The service's DoS ID, which consumers find it by"
        error={err('hs-dos')}
        value={fields.dosId}
        onChange={setField('dosId')}
        width={10}
      />
      <Input
        id="hs-name"
        label="Name"
        error={err('hs-name')}
        value={fields.serviceName}
        onChange={setField('serviceName')}
        width={30}
      />
      <Input
        id="hs-type"
        label="Type of service (optional)"
        hint="For example Emergency department"
        error={err('hs-type')}
        value={fields.typeText}
        onChange={setField('typeText')}
        width={30}
      />
      <Select
        id="hs-location"
        label="Location"
        hint="Add a location first if it is not listed"
        error={err('hs-location')}
        value={fields.locationId}
        onChange={setField('locationId')}
        options={[none, ...options(directory.locations, fields.locationId)]}
      />
      <Select
        id="hs-providedBy"
        label="Provided by"
        hint="The organisation that runs it"
        error={err('hs-providedBy')}
        value={fields.providedBy}
        onChange={setField('providedBy')}
        options={[none, ...options(directory.organizations, fields.providedBy)]}
      />
    </>
  );
}

/** A Schedule: its actors, one of each type (its own service first). */
function ScheduleFields({ fields, setField, err, directory }: FieldProps) {
  return (
    <>
      <Select
        id="sch-service"
        label="Its healthcare service"
        hint="The service whose slots it holds (its actor); map it to more services on the directory page"
        error={err('sch-service')}
        value={fields.serviceId}
        onChange={setField('serviceId')}
        options={[
          ...(fields.serviceId ? [] : [{ value: '', text: 'Choose a service' }]),
          ...options(directory.services, fields.serviceId),
        ]}
      />
      <Select
        id="sch-practitioner"
        label="Practitioner (optional)"
        error={err('sch-practitioner')}
        value={fields.practitionerId}
        onChange={setField('practitionerId')}
        options={[none, ...options(directory.practitioners, fields.practitionerId)]}
      />
      <Select
        id="sch-role"
        label="Practitioner role (optional)"
        error={err('sch-role')}
        value={fields.roleId}
        onChange={setField('roleId')}
        options={[none, ...options(directory.roles, fields.roleId)]}
      />
      <Select
        id="sch-location"
        label="Location (optional)"
        error={err('sch-location')}
        value={fields.scheduleLocationId}
        onChange={setField('scheduleLocationId')}
        options={[none, ...options(directory.locations, fields.scheduleLocationId)]}
      />
    </>
  );
}
