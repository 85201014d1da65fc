// A result/ answer in the doc's format (vendors/identomat.txt: "It returns a JSON document
// containing all the information about the user"), values filled in; shared by the tests.
export function resultDoc(person: Record<string, unknown>, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    result: "APPROVED",
    live: true,
    similarity: 0.93,
    document_type: "passport",
    generalDocuments: [],
    reject_reason: null,
    person,
    configId: "cfg",
    trustedDatabaseRecord: null,
    result_comment: "",
    questionnaires: [],
    ...over,
  };
}
