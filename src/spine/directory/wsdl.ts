/**
 * The stand-in's WSDL (served at `{spine}/app/api/webservices?wsdl`): our own description of DoS's
 * PathWayService 1.5, with the operations, element names, order and types of the public WSDL
 * (SOAP 1.2, document/literal, the `serviceVersion` header). The schema is written as data below and
 * turned into XML by XMLBuilder; the SOAP answers (soap.ts) follow the same element order.
 */
import { writeXml, type XmlContent } from '../../fhir/soap.js';

/** DoS's target namespace (also the SOAP actions' base). */
export const DOS_NS = 'https://nww.pathwaysdos.nhs.uk/app/api/webservices';
export const DOS_OPERATIONS = ['CheckCapacitySummary', 'ServiceDetailsById', 'GetHospitalScores'] as const;
export type DosOperation = (typeof DOS_OPERATIONS)[number];
export const dosAction = (operation: DosOperation) => `${DOS_NS}/${operation}`;

interface Field {
  name: string;
  /** `s:…` XML Schema types, `tns:…` ours. */
  type: string;
  min: 0 | 1;
  many?: boolean;
  nillable?: boolean;
}
const one = (name: string, type: string): Field => ({ name, type, min: 1 });
const opt = (name: string, type: string): Field => ({ name, type, min: 0 });
const list = (name: string, type: string, min: 0 | 1 = 0): Field => ({ name, type, min, many: true, nillable: true });

/** Top-level elements (the operations' messages). */
const ELEMENTS: Record<string, Field[]> = {
  CheckCapacitySummary: [one('userInfo', 'tns:UserInfo'), one('c', 'tns:Case')],
  CheckCapacitySummaryResponse: [
    one('TransactionId', 's:string'),
    one('RequestedAtDateTime', 's:string'),
    one('SearchDateTime', 's:string'),
    opt('CalculatedAgeInDays', 's:float'),
    one('SearchDistance', 's:int'),
    one('SearchDistanceUsedSource', 'tns:DistanceSource'),
    one('CheckCapacitySummaryResult', 'tns:ArrayOfServiceCareSummaryDestination'),
  ],
  ServiceDetailsById: [one('userInfo', 'tns:UserInfo'), one('serviceId', 's:string')],
  ServiceDetailsByIdResponse: [opt('services', 'tns:ArrayOfServices')],
  GetHospitalScores: [opt('userInfo', 'tns:UserInfo')],
  GetHospitalScoresResponse: [opt('GetHospitalScoresResult', 'tns:ArrayOfHospitalScores')],
};

const COMPLEX: Record<string, Field[]> = {
  UserInfo: [one('username', 's:string'), one('password', 's:string')],
  Case: [
    opt('caseRef', 's:string'),
    opt('caseId', 's:string'),
    one('postcode', 's:string'),
    opt('surgery', 's:string'),
    one('age', 's:short'),
    one('ageFormat', 'tns:AgeFormatType'),
    one('disposition', 's:int'),
    one('symptomGroup', 's:int'),
    one('symptomDiscriminatorList', 'tns:ArrayOfInt'),
    opt('searchDistance', 's:int'),
    one('forceSearchDistance', 's:boolean'),
    one('gender', 'tns:GenderType'),
    opt('searchDateTime', 's:string'),
  ],
  ArrayOfInt: [{ name: 'int', type: 's:int', min: 0, many: true }],
  ArrayOfServiceCareSummaryDestination: [list('serviceCareSummaryDestination', 'tns:ServiceCareSummaryDestination')],
  ServiceCareSummaryDestination: [
    one('id', 's:int'),
    one('capacity', 'tns:Capacity'),
    opt('name', 's:string'),
    opt('publicName', 's:string'),
    opt('contactDetails', 's:string'),
    opt('address', 's:string'),
    opt('postcode', 's:string'),
    opt('northings', 's:int'),
    opt('eastings', 's:int'),
    opt('url', 's:string'),
    one('serviceType', 'tns:ServiceType'),
    opt('odsCode', 's:string'),
    opt('nonPublicTelephoneNo', 's:string'),
    opt('fax', 's:string'),
    opt('publicFacingInformation', 's:string'),
    opt('distance', 's:string'),
    opt('referralInformation', 's:string'),
    one('openAllHours', 's:boolean'),
    opt('capacityAttributes', 'tns:ArrayOfCapacityAttributes'),
    one('serviceEndpoints', 'tns:ArrayOfServiceEndpoints'),
    opt('rotaSessions', 'tns:ArrayOfServiceCareItemRotaSession'),
    opt('openTimeSpecifiedSessions', 'tns:ArrayOfOpenTimeSpecified'),
    opt('attributes', 'tns:ArrayOfAttributes'),
    one('serviceAgeRange', 'tns:ArrayOfServiceAgeRanges'),
  ],
  ServiceType: [one('id', 's:long'), one('name', 's:string')],
  ArrayOfServiceEndpoints: [list('endpoint', 'tns:Endpoint')],
  Endpoint: [
    one('endpointOrder', 's:int'),
    one('transport', 's:string'),
    one('format', 's:string'),
    one('interaction', 's:string'),
    one('businessScenario', 's:string'),
    one('address', 's:string'),
    one('compression', 's:string'),
    one('comment', 's:string'),
  ],
  ArrayOfAttributes: [list('attribute', 'tns:Attribute')],
  Attribute: [
    one('dataType', 's:string'),
    one('name', 's:string'),
    one('description', 's:string'),
    one('value', 's:string'),
  ],
  ArrayOfCapacityAttributes: [list('capacityAttribute', 'tns:CapacityAttribute', 1)],
  CapacityAttribute: [one('name', 's:string'), one('description', 's:string'), one('value', 's:string')],
  ArrayOfServiceAgeRanges: [list('ageRange', 'tns:AgeRange')],
  AgeRange: [one('daysFrom', 's:float'), one('daysTo', 's:float')],
  ArrayOfServiceCareItemRotaSession: [list('serviceCareItemRotaSession', 'tns:ServiceCareItemRotaSession')],
  ServiceCareItemRotaSession: [
    one('startDayOfWeek', 'tns:DayOfWeek'),
    opt('startTime', 'tns:TimeOfDay'),
    one('endDayOfWeek', 'tns:DayOfWeek'),
    opt('endTime', 'tns:TimeOfDay'),
    opt('status', 's:string'),
  ],
  TimeOfDay: [one('hours', 's:short'), one('minutes', 's:short')],
  ArrayOfOpenTimeSpecified: [list('openTimeSpecified', 's:string')],
  ArrayOfServices: [list('service', 'tns:ServiceDetail')],
  ServiceDetail: [
    one('id', 's:string'),
    one('odsCode', 's:string'),
    opt('serviceEndpoints', 'tns:ArrayOfServiceEndpoints'),
  ],
  ArrayOfHospitalScores: [list('hospital', 'tns:Hospital')],
  Hospital: [
    one('hospital_name', 's:string'),
    one('total_score', 's:int'),
    one('note', 's:string'),
    one('update_date', 's:string'),
  ],
};

const DAYS_OF_WEEK = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Bankholiday'];
const ENUMS: Record<string, string[]> = {
  AgeFormatType: ['Days', 'Months', 'Years', 'AgeGroup'],
  GenderType: ['M', 'F', 'I'],
  Capacity: ['High', 'Low', 'None'],
  DayOfWeek: DAYS_OF_WEEK,
  DistanceSource: ['Postcode', 'District', 'Sector', 'Override', 'National'],
};

const DOCUMENTATION: Record<DosOperation, string> = {
  CheckCapacitySummary: 'Returns an ordered, filtered list of services for the patient need described by the case.',
  ServiceDetailsById: 'Returns the endpoints of one service, found by its service ID or ODS code.',
  GetHospitalScores: 'Returns emergency departments with pressure scores (the stand-in holds none).',
};
const MESSAGES: Record<DosOperation, [input: string, output: string]> = {
  CheckCapacitySummary: ['CheckCapacitySummarySoapIn', 'CheckCapacitySummarySoapOut'],
  ServiceDetailsById: ['ServiceDetailsByIdRequest', 'ServiceDetailsByIdResponse'],
  GetHospitalScores: ['GetHospitalScoresSoapIn', 'GetHospitalScoresSoapOut'],
};

function sequence(fields: Field[]): XmlContent {
  return {
    's:sequence': {
      's:element': fields.map((f) => ({
        '@_minOccurs': String(f.min),
        '@_maxOccurs': f.many ? 'unbounded' : '1',
        '@_name': f.name,
        ...(f.nillable ? { '@_nillable': 'true' } : {}),
        '@_type': f.type,
      })),
    },
  };
}

/** The WSDL document; `location` is the address clients should post to (this spine's own). */
export function dosWsdl(location: string): string {
  const schema: XmlContent = {
    '@_elementFormDefault': 'qualified',
    '@_targetNamespace': DOS_NS,
    's:element': [
      ...Object.entries(ELEMENTS).map(([name, fields]) => ({ '@_name': name, 's:complexType': sequence(fields) })),
      { '@_name': 'serviceVersion', '@_type': 's:string' },
    ],
    's:complexType': Object.entries(COMPLEX).map(([name, fields]) => ({ '@_name': name, ...sequence(fields) })),
    's:simpleType': Object.entries(ENUMS).map(([name, values]) => ({
      '@_name': name,
      's:restriction': { '@_base': 's:string', 's:enumeration': values.map((v) => ({ '@_value': v })) },
    })),
  };
  const messages = [
    ...DOS_OPERATIONS.flatMap((op) => [
      { '@_name': MESSAGES[op][0], 'wsdl:part': { '@_name': 'parameters', '@_element': `tns:${op}` } },
      { '@_name': MESSAGES[op][1], 'wsdl:part': { '@_name': 'parameters', '@_element': `tns:${op}Response` } },
    ]),
    {
      '@_name': 'ServiceVersionHeader',
      'wsdl:part': { '@_name': 'ServiceVersion', '@_element': 'tns:serviceVersion' },
    },
  ];
  return writeXml({
    'wsdl:definitions': {
      '@_targetNamespace': DOS_NS,
      '@_xmlns:tns': DOS_NS,
      '@_xmlns:s': 'http://www.w3.org/2001/XMLSchema',
      '@_xmlns:soap12': 'http://schemas.xmlsoap.org/wsdl/soap12/',
      '@_xmlns:wsdl': 'http://schemas.xmlsoap.org/wsdl/',
      'wsdl:documentation': 'Slotbridge spine: a local stand-in for NHS Directory of Services, PathWayService 1.5',
      'wsdl:types': { 's:schema': schema },
      'wsdl:message': messages,
      'wsdl:portType': {
        '@_name': 'PathWayServiceSoap',
        'wsdl:operation': DOS_OPERATIONS.map((op) => ({
          '@_name': op,
          'wsdl:documentation': DOCUMENTATION[op],
          'wsdl:input': { '@_message': `tns:${MESSAGES[op][0]}` },
          'wsdl:output': { '@_message': `tns:${MESSAGES[op][1]}` },
        })),
      },
      'wsdl:binding': {
        '@_name': 'PathWayServiceSoap12',
        '@_type': 'tns:PathWayServiceSoap',
        'soap12:binding': { '@_transport': 'http://schemas.xmlsoap.org/soap/http' },
        'wsdl:operation': DOS_OPERATIONS.map((op) => ({
          '@_name': op,
          'soap12:operation': { '@_soapAction': dosAction(op), '@_style': 'document' },
          'wsdl:input': {
            'soap12:header': {
              '@_message': 'tns:ServiceVersionHeader',
              '@_part': 'ServiceVersion',
              '@_use': 'literal',
            },
            'soap12:body': { '@_use': 'literal' },
          },
          'wsdl:output': { 'soap12:body': { '@_use': 'literal' } },
        })),
      },
      'wsdl:service': {
        '@_name': 'PathWayService',
        'wsdl:port': {
          '@_name': 'PathWayServiceSoap12',
          '@_binding': 'tns:PathWayServiceSoap12',
          'soap12:address': { '@_location': location },
        },
      },
    },
  });
}
