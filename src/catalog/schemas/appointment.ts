import { z } from 'zod'
import { defineEvent } from '../define-event.js'
import { entityId, envelopeFields, isoDate, str, strList } from './common.js'

/**
 * Appointments: the one family that nests its entity (under `appointment`) instead of sending it
 * flat, so the entity id is `appointment.id`. GHL's Update/Delete examples show type
 * "AppointmentCreate" (copy-paste); real deliveries carry their own type.
 */

function appointmentSchema<T extends string>(type: T) {
  return z.object({
    type: z.literal(type),
    ...envelopeFields,
    locationId: str,
    appointment: z.object({
      id: entityId,
      // Not documented inside the appointment, but the tenant resolver looks here too.
      locationId: str,
      address: str,
      title: str,
      calendarId: str,
      contactId: str,
      groupId: str,
      /** e.g. confirmed */
      appointmentStatus: str,
      assignedUserId: str,
      users: strList,
      notes: str,
      /** e.g. booking_widget */
      source: str,
      /** ISO-8601 with a UTC offset. */
      startTime: isoDate,
      endTime: isoDate,
      dateAdded: isoDate,
      dateUpdated: isoDate,
    }),
  })
}

const appointment = {
  category: 'appointment',
  level: 'location',
  scopes: [],
  since: '2025-05',
  typeRole: 'event',
  entity: { kind: 'appointment', idPath: 'appointment.id' },
  tenant: 'location',
} as const

export const appointmentEvents = [
  defineEvent({
    ...appointment,
    name: 'AppointmentCreate',
    canonical: 'appointment.created',
    typeValues: ['AppointmentCreate'],
    schema: appointmentSchema('AppointmentCreate'),
    occurredAtPaths: ['timestamp', 'appointment.dateAdded'],
    description: 'Appointment booked. Entity nested under `appointment`.',
  }),
  defineEvent({
    ...appointment,
    name: 'AppointmentUpdate',
    canonical: 'appointment.updated',
    typeValues: ['AppointmentUpdate'],
    schema: appointmentSchema('AppointmentUpdate'),
    occurredAtPaths: ['timestamp', 'appointment.dateUpdated'],
    description: 'Appointment changed (time, status, assignee). Entity nested under `appointment`.',
  }),
  defineEvent({
    ...appointment,
    name: 'AppointmentDelete',
    canonical: 'appointment.deleted',
    typeValues: ['AppointmentDelete'],
    schema: appointmentSchema('AppointmentDelete'),
    occurredAtPaths: ['timestamp', 'appointment.dateUpdated'],
    description: 'Appointment deleted. Entity nested under `appointment`.',
  }),
] as const
