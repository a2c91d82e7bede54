package store

// Vocabulary for demo data: Bahamian employers, places and jobs.

var seedFirstNames = []string{"Aaliyah", "Andre", "Brittany", "Cedric", "Chantel", "Dwayne", "Deandra", "Everette", "Felicia",
	"Garth", "Jamal", "Keisha", "Kendrick", "Lashanda", "Latoya", "Marcus", "Natasha", "Omar", "Philippa", "Quincy",
	"Renaldo", "Shanique", "Tavares", "Tamika", "Vaughn", "Whitney", "Xavier", "Yolanda", "Zion", "Sidney"}

var seedLastNames = []string{"Rolle", "Smith", "Knowles", "Ferguson", "Johnson", "Bethel", "Moss", "Pinder", "Cartwright",
	"Munnings", "Sands", "Thompson", "Saunders", "Russell", "Miller", "Strachan", "McKenzie", "Darville", "Gibson", "Forbes"}

// seedIslands are weighted by where the jobs are: most in New Providence.
var seedIslands = []struct {
	name, town string
	weight     int
}{
	{"NEW_PROVIDENCE", "Nassau", 40}, {"NEW_PROVIDENCE", "Paradise Island", 10}, {"GRAND_BAHAMA", "Freeport", 14},
	{"ABACO", "Marsh Harbour", 6}, {"ELEUTHERA", "Governor's Harbour", 5}, {"HARBOUR_ISLAND", "Dunmore Town", 3},
	{"EXUMA", "George Town", 6}, {"ANDROS", "Fresh Creek", 3}, {"BIMINI", "Alice Town", 3}, {"BERRY_ISLANDS", "Great Harbour Cay", 1},
	{"LONG_ISLAND", "Deadman's Cay", 2}, {"CAT_ISLAND", "New Bight", 1}, {"SAN_SALVADOR", "Cockburn Town", 1},
	{"INAGUA", "Matthew Town", 1}, {"ACKLINS", "Spring Point", 1}, {"CROOKED_ISLAND", "Colonel Hill", 1},
	{"MAYAGUANA", "Abraham's Bay", 1}, {"RAGGED_ISLAND", "Duncan Town", 1},
}

var seedCompanies = []struct{ name, category string }{
	{"Atlantis Paradise Island", "HOSPITALITY"}, {"Baha Mar", "HOSPITALITY"}, {"Sandals Royal Bahamian", "HOSPITALITY"},
	{"Graycliff Hotel", "HOSPITALITY"}, {"Coral Reef Resort", "HOSPITALITY"}, {"Conch Fritter Shack", "HOSPITALITY"},
	{"Island Routes Tours", "TOURISM"}, {"Stuart Cove's Dive", "TOURISM"}, {"Powerboat Adventures", "TOURISM"},
	{"Commonwealth Bank", "BANKING_FINANCE"}, {"RBC Royal Bank Bahamas", "BANKING_FINANCE"}, {"Island Trust Co.", "BANKING_FINANCE"},
	{"Doctors Hospital", "HEALTHCARE"}, {"Princess Margaret Hospital", "HEALTHCARE"}, {"Family Medical Centre", "HEALTHCARE"},
	{"St. Andrew's School", "EDUCATION"}, {"University of The Bahamas", "EDUCATION"}, {"Queen's College", "EDUCATION"},
	{"Cavalier Construction", "CONSTRUCTION"}, {"Island Builders Ltd.", "CONSTRUCTION"}, {"Super Value", "RETAIL"},
	{"Solomon's Fresh Market", "RETAIL"}, {"Kelly's Home Centre", "RETAIL"}, {"BTC", "TECHNOLOGY"}, {"Aliv", "TECHNOLOGY"},
	{"Cable Bahamas", "TECHNOLOGY"}, {"Ministry of Tourism", "GOVERNMENT"}, {"Bahamas Customs", "GOVERNMENT"},
	{"Tropical Shipping", "MARITIME"}, {"Bahamas Ferries", "MARITIME"}, {"Harbour Island Marina", "MARITIME"},
	{"Abaco Farms", "AGRICULTURE_FISHERIES"}, {"Spiny Lobster Co-op", "AGRICULTURE_FISHERIES"}, {"Island Events", "OTHER"},
}

var seedTitles = map[string][]string{
	"HOSPITALITY":           {"Bartender", "Line Cook", "Front Desk Agent", "Housekeeper", "Server", "Sous Chef", "Night Auditor", "Concierge", "Banquet Captain", "Pastry Chef"},
	"TOURISM":               {"Tour Guide", "Dive Instructor", "Excursion Coordinator", "Boat Crew", "Reservations Agent", "Snorkel Guide"},
	"BANKING_FINANCE":       {"Bank Teller", "Compliance Officer", "Trust Administrator", "Accountant", "Loan Officer", "Financial Analyst"},
	"HEALTHCARE":            {"Registered Nurse", "Pharmacist", "Medical Technologist", "Physiotherapist", "Patient Care Assistant"},
	"EDUCATION":             {"Mathematics Teacher", "Teaching Assistant", "Lecturer in Biology", "School Counsellor", "Librarian"},
	"CONSTRUCTION":          {"Electrician", "Carpenter", "Site Supervisor", "Plumber", "Heavy Equipment Operator", "Mason"},
	"RETAIL":                {"Cashier", "Store Supervisor", "Stock Associate", "Sales Associate", "Merchandiser"},
	"TECHNOLOGY":            {"Software Developer", "Network Engineer", "IT Support Technician", "Data Analyst", "Cloud Engineer"},
	"GOVERNMENT":            {"Customs Officer", "Administrative Officer", "Tourism Promotions Officer", "Records Clerk"},
	"MARITIME":              {"Boat Captain", "Deckhand", "Marine Mechanic", "Dock Master", "Ferry Steward"},
	"AGRICULTURE_FISHERIES": {"Farm Hand", "Fisherman", "Greenhouse Technician", "Fish Processor"},
	"OTHER":                 {"Event Planner", "Security Officer", "Driver", "Receptionist", "Graphic Designer"},
}

var seedSkills = map[string][]string{
	"HOSPITALITY":           {"mixology", "customer service", "food safety", "Opera PMS", "upselling", "wine service"},
	"TOURISM":               {"PADI", "first aid", "storytelling", "boat handling", "Spanish", "French"},
	"BANKING_FINANCE":       {"AML", "KYC", "Excel", "QuickBooks", "IFRS", "cash handling"},
	"HEALTHCARE":            {"BLS", "ACLS", "patient care", "phlebotomy", "EMR"},
	"EDUCATION":             {"BGCSE", "lesson planning", "classroom management", "curriculum"},
	"CONSTRUCTION":          {"blueprints", "OSHA", "welding", "hurricane-rated builds", "concrete"},
	"RETAIL":                {"POS", "inventory", "visual merchandising", "cash handling"},
	"TECHNOLOGY":            {"Go", "PostgreSQL", "Kubernetes", "networking", "Linux", "TypeScript", "Python"},
	"GOVERNMENT":            {"records management", "policy", "public speaking", "Microsoft Office"},
	"MARITIME":              {"STCW", "navigation", "diesel engines", "line handling", "VHF radio"},
	"AGRICULTURE_FISHERIES": {"irrigation", "crop rotation", "net repair", "cold chain"},
	"OTHER":                 {"event planning", "driving licence", "Adobe Illustrator", "scheduling"},
}

var seedPhrases = []string{
	"You will join a friendly team serving guests from around the world.",
	"We value punctuality, a positive attitude and pride in your work.",
	"Experience in a resort or island setting is an advantage.",
	"Training is provided, and there is room to grow with the company.",
	"Shifts include weekends and public holidays during the season.",
	"Staff transportation is available from Nassau and Freeport.",
	"Candidates must be eligible to work in The Bahamas.",
	"Competitive pay, gratuities, health insurance and meals on duty.",
	"Help us deliver the warm Bahamian hospitality our visitors expect.",
	"Bring your skills to a growing business in the Family Islands.",
}

var seedTypes = []string{"FULL_TIME", "FULL_TIME", "FULL_TIME", "PART_TIME", "CONTRACT", "TEMPORARY", "INTERNSHIP", "SEASONAL"}
