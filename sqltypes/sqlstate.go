package sqltypes

// The SQLSTATEs the gate raises, named as Postgres names its conditions
// (src/backend/utils/errcodes.txt, in CamelCase). Callers write
// Errorf(SyntaxError, ...) rather than a bare "42601", so a code is spelled
// once and sqlstate_test.go can check that every code in the tree is here.
const (
	SQLClientUnableToEstablishSQLConnection = "08001"
	ConnectionDoesNotExist                  = "08003"
	ConnectionFailure                       = "08006"
	ProtocolViolation                       = "08P01"
	FeatureNotSupported                     = "0A000"
	StringDataRightTruncation               = "22001"
	NumericValueOutOfRange                  = "22003"
	InvalidDatetimeFormat                   = "22007"
	SubstringError                          = "22011"
	DivisionByZero                          = "22012"
	InvalidRowCountInLimitClause            = "2201W"
	InvalidRowCountInResultOffsetClause     = "2201X"
	CharacterNotInRepertoire                = "22021"
	InvalidParameterValue                   = "22023"
	InvalidEscapeSequence                   = "22025"
	InvalidTextRepresentation               = "22P02"
	InvalidBinaryRepresentation             = "22P03"
	BadCopyFileFormat                       = "22P04"
	IntegrityConstraintViolation            = "23000"
	NotNullViolation                        = "23502"
	ForeignKeyViolation                     = "23503"
	UniqueViolation                         = "23505"
	CheckViolation                          = "23514"
	ActiveSQLTransaction                    = "25001"
	ReadOnlySQLTransaction                  = "25006"
	NoActiveSQLTransaction                  = "25P01"
	InFailedSQLTransaction                  = "25P02"
	IdleInTransactionSessionTimeout         = "25P03"
	InvalidSQLStatementName                 = "26000"
	InvalidAuthorizationSpecification       = "28000"
	InvalidPassword                         = "28P01"
	InvalidCursorName                       = "34000"
	InvalidSavepointSpecification           = "3B001"
	InvalidCatalogName                      = "3D000"
	SerializationFailure                    = "40001"
	DeadlockDetected                        = "40P01"
	InsufficientPrivilege                   = "42501"
	SyntaxError                             = "42601"
	DuplicateColumn                         = "42701"
	AmbiguousColumn                         = "42702"
	UndefinedColumn                         = "42703"
	UndefinedObject                         = "42704"
	GroupingError                           = "42803"
	DatatypeMismatch                        = "42804"
	WrongObjectType                         = "42809"
	UndefinedFunction                       = "42883"
	UndefinedTable                          = "42P01"
	UndefinedParameter                      = "42P02"
	DuplicateCursor                         = "42P03"
	DuplicatePreparedStatement              = "42P05"
	DuplicateTable                          = "42P07"
	InvalidColumnReference                  = "42P10"
	InvalidTableDefinition                  = "42P16"
	DiskFull                                = "53100"
	OutOfMemory                             = "53200"
	TooManyConnections                      = "53300"
	ConfigurationLimitExceeded              = "53400"
	ProgramLimitExceeded                    = "54000"
	StatementTooComplex                     = "54001"
	ObjectNotInPrerequisiteState            = "55000"
	LockNotAvailable                        = "55P03"
	QueryCanceled                           = "57014"
	AdminShutdown                           = "57P01"
	IdleSessionTimeout                      = "57P05"
	InternalError                           = "XX000"
)

// SQLStates maps each constant's name to its code: the table the tests
// check, and what scripts/sqlstate-names.sh is generated from by hand.
var SQLStates = map[string]string{
	"SQLClientUnableToEstablishSQLConnection": SQLClientUnableToEstablishSQLConnection,
	"ConnectionDoesNotExist":                  ConnectionDoesNotExist,
	"ConnectionFailure":                       ConnectionFailure,
	"ProtocolViolation":                       ProtocolViolation,
	"FeatureNotSupported":                     FeatureNotSupported,
	"StringDataRightTruncation":               StringDataRightTruncation,
	"NumericValueOutOfRange":                  NumericValueOutOfRange,
	"InvalidDatetimeFormat":                   InvalidDatetimeFormat,
	"SubstringError":                          SubstringError,
	"DivisionByZero":                          DivisionByZero,
	"InvalidRowCountInLimitClause":            InvalidRowCountInLimitClause,
	"InvalidRowCountInResultOffsetClause":     InvalidRowCountInResultOffsetClause,
	"CharacterNotInRepertoire":                CharacterNotInRepertoire,
	"InvalidParameterValue":                   InvalidParameterValue,
	"InvalidEscapeSequence":                   InvalidEscapeSequence,
	"InvalidTextRepresentation":               InvalidTextRepresentation,
	"InvalidBinaryRepresentation":             InvalidBinaryRepresentation,
	"BadCopyFileFormat":                       BadCopyFileFormat,
	"IntegrityConstraintViolation":            IntegrityConstraintViolation,
	"NotNullViolation":                        NotNullViolation,
	"ForeignKeyViolation":                     ForeignKeyViolation,
	"UniqueViolation":                         UniqueViolation,
	"CheckViolation":                          CheckViolation,
	"ActiveSQLTransaction":                    ActiveSQLTransaction,
	"ReadOnlySQLTransaction":                  ReadOnlySQLTransaction,
	"NoActiveSQLTransaction":                  NoActiveSQLTransaction,
	"InFailedSQLTransaction":                  InFailedSQLTransaction,
	"IdleInTransactionSessionTimeout":         IdleInTransactionSessionTimeout,
	"InvalidSQLStatementName":                 InvalidSQLStatementName,
	"InvalidAuthorizationSpecification":       InvalidAuthorizationSpecification,
	"InvalidPassword":                         InvalidPassword,
	"InvalidCursorName":                       InvalidCursorName,
	"InvalidSavepointSpecification":           InvalidSavepointSpecification,
	"InvalidCatalogName":                      InvalidCatalogName,
	"SerializationFailure":                    SerializationFailure,
	"DeadlockDetected":                        DeadlockDetected,
	"InsufficientPrivilege":                   InsufficientPrivilege,
	"SyntaxError":                             SyntaxError,
	"DuplicateColumn":                         DuplicateColumn,
	"AmbiguousColumn":                         AmbiguousColumn,
	"UndefinedColumn":                         UndefinedColumn,
	"UndefinedObject":                         UndefinedObject,
	"GroupingError":                           GroupingError,
	"DatatypeMismatch":                        DatatypeMismatch,
	"WrongObjectType":                         WrongObjectType,
	"UndefinedFunction":                       UndefinedFunction,
	"UndefinedTable":                          UndefinedTable,
	"UndefinedParameter":                      UndefinedParameter,
	"DuplicateCursor":                         DuplicateCursor,
	"DuplicatePreparedStatement":              DuplicatePreparedStatement,
	"DuplicateTable":                          DuplicateTable,
	"InvalidColumnReference":                  InvalidColumnReference,
	"InvalidTableDefinition":                  InvalidTableDefinition,
	"DiskFull":                                DiskFull,
	"OutOfMemory":                             OutOfMemory,
	"TooManyConnections":                      TooManyConnections,
	"ConfigurationLimitExceeded":              ConfigurationLimitExceeded,
	"ProgramLimitExceeded":                    ProgramLimitExceeded,
	"StatementTooComplex":                     StatementTooComplex,
	"ObjectNotInPrerequisiteState":            ObjectNotInPrerequisiteState,
	"LockNotAvailable":                        LockNotAvailable,
	"QueryCanceled":                           QueryCanceled,
	"AdminShutdown":                           AdminShutdown,
	"IdleSessionTimeout":                      IdleSessionTimeout,
	"InternalError":                           InternalError,
}
