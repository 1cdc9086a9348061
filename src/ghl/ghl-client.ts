import type { GhlTokenOwner } from '../store/types.js'
import type { GhlApi, GhlBinding, GhlRequest, GhlResponse } from './api-client.js'
import type {
  GhlContact,
  GhlContactUpdate,
  GhlNote,
  GhlNoteInput,
  GhlOpportunity,
  GhlOpportunityStatus,
  GhlOpportunityUpdate,
  GhlTask,
  GhlTaskInput,
} from './api-types.js'
import { loadGhlSdk } from './sdk.js'

/**
 * GHL's API for one location or company: `ctx.ghl` in a handler (bound to the event's location and
 * aborted by `ctx.signal`), `gw.ghl(locationId)` outside. `request` reaches any operation; the
 * helpers cover the writes handlers make most, typed from GHL's specs (api-types.ts), and answer
 * GHL's body (`data`). Every call goes through the same token, limit and error rules (api-client.ts).
 */
export class GhlClient {
  constructor(
    readonly api: GhlApi,
    readonly owner: GhlTokenOwner,
    readonly binding: GhlBinding = {},
  ) {}

  /** Any GHL operation: `{ method, path, query, body, version }` → `{ status, headers, data }`. */
  request<T = unknown>(call: GhlRequest): Promise<GhlResponse<T>> {
    return this.api.call<T>(this.owner, call, this.binding)
  }

  readonly contacts = {
    /** GET /contacts/{contactId} (contacts.json `get-contact`). */
    get: async (contactId: string): Promise<GhlContact> =>
      (await this.#op<{ contact: GhlContact }>('contacts.get', 'GET', contactPath(contactId))).contact,
    /** PUT /contacts/{contactId} (`update-contact`): fields, tags (all of them), custom fields by id or key. */
    update: async (contactId: string, update: GhlContactUpdate): Promise<GhlContact> =>
      (await this.#op<{ contact: GhlContact }>('contacts.update', 'PUT', contactPath(contactId), update))
        .contact,
    /** POST /contacts/{contactId}/tags (`add-tags`): the contact's tags after. */
    addTags: async (contactId: string, tags: string[]): Promise<string[]> =>
      (
        await this.#op<{ tags: string[] }>('contacts.addTags', 'POST', `${contactPath(contactId)}/tags`, {
          tags,
        })
      ).tags,
    /** DELETE /contacts/{contactId}/tags (`remove-tags`): the contact's tags after. */
    removeTags: async (contactId: string, tags: string[]): Promise<string[]> =>
      (
        await this.#op<{ tags: string[] }>(
          'contacts.removeTags',
          'DELETE',
          `${contactPath(contactId)}/tags`,
          {
            tags,
          },
        )
      ).tags,
    /** POST /contacts/{contactId}/notes (`create-note`). A string is the note's body. */
    addNote: async (contactId: string, note: string | GhlNoteInput): Promise<GhlNote> =>
      (
        await this.#op<{ note: GhlNote }>(
          'contacts.addNote',
          'POST',
          `${contactPath(contactId)}/notes`,
          typeof note === 'string' ? { body: note } : note,
        )
      ).note,
    /** POST /contacts/{contactId}/tasks (`create-task`). */
    createTask: async (contactId: string, task: GhlTaskInput): Promise<GhlTask> =>
      (
        await this.#op<{ task: GhlTask }>('contacts.createTask', 'POST', `${contactPath(contactId)}/tasks`, {
          completed: false,
          ...task,
        })
      ).task,
  }

  readonly opportunities = {
    /** PUT /opportunities/{id} (opportunities.json `update-opportunity`): stage, status, value, fields. */
    update: async (opportunityId: string, update: GhlOpportunityUpdate): Promise<GhlOpportunity> =>
      (
        await this.#op<{ opportunity: GhlOpportunity }>(
          'opportunities.update',
          'PUT',
          `/opportunities/${segment(opportunityId)}`,
          update,
        )
      ).opportunity,
    /** PUT /opportunities/{id}/status (`update-opportunity-status`). */
    updateStatus: async (
      opportunityId: string,
      status: GhlOpportunityStatus,
      options: { lostReasonId?: string } = {},
    ): Promise<void> => {
      await this.#op('opportunities.updateStatus', 'PUT', `/opportunities/${segment(opportunityId)}/status`, {
        status,
        ...options,
      })
    },
  }

  /**
   * `@gohighlevel/api-client`, when installed, bound to this location's current access token (the
   * SDK manages no token: ask again for a fresh one). It bypasses the gateway's limits and logs.
   */
  async sdk(): Promise<unknown> {
    const token = await this.api.accessToken(this.owner)
    return loadGhlSdk(token)
  }

  async #op<T>(operation: string, method: GhlRequest['method'], path: string, body?: unknown): Promise<T> {
    const answer = await this.api.call<T>(this.owner, { method, path, body }, this.binding, operation)
    return answer.data
  }
}

const contactPath = (id: string) => `/contacts/${segment(id)}`

/** An id as one path segment (an id with a slash must not reach another route). */
function segment(id: string): string {
  if (!id) throw new TypeError('a GHL id must not be empty')
  return encodeURIComponent(id)
}
