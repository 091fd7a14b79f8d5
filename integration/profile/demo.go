package profile

// DemoFacility returns the embedded demo `annex up` starts with when no
// configuration is given; fixtures/profiles/{facility,alma,aleph}-demo.yaml
// hold the same in YAML. It matches the mock systems' demo state:
//
//   - alma-demo: mock ALMA's institution 01ANNEX_INST with partner agency
//     CAIASOFT and integration profile ANNEX; libraries MAIN and LAW, each
//     with desk CIRC and remote-storage location ANNEX; check-out user
//     ANNEX-USER; uploads by SFTP as alma / alma-demo from 127.0.0.0/8 into
//     01ANNEX_INST/requests.
//   - aleph-demo: mock ALEPH's CAIAAGENCY → CLIENTAGENCY with CAIAPROFILE;
//     stops MAIN-CIRC and SCI-CIRC check out to CAIAUSER and CAIAUSER2;
//     hold-request print files posted with key demo-key.
//
// The NCIP URLs are annex up's default ports; a caller that starts the
// mocks elsewhere overwrites them. Every credential here is a demo value,
// never to be used for a real server. Each call returns fresh values.
func DemoFacility() (Facility, []Profile) {
	alma := Profile{
		Name:   "alma-demo",
		System: SystemALMA,
		ALMA: &ALMA{
			NCIPURL:        "http://127.0.0.1:7701/view/NCIPServlet",
			ERetrievalNCIP: false, // assumed (docs/libraries.md, ALMA); stated so validate does not warn
			FromAgency:     "CAIASOFT",
			ToAgency:       "01ANNEX_INST",
			ProfileCode:    "ANNEX",
			Desk:           "CIRC",
			Desks:          map[string]string{"MAIN": "MAIN.CIRC", "LAW": "LAW.CIRC"},
			CheckOutUser:   "ANNEX-USER",
		},
		Translation: Translation{
			// Digitization requests carry no library, so ANNEX alone finds them.
			Collections: map[string]string{"MAIN/ANNEX": "MAIN-ANNEX", "LAW/ANNEX": "LAW-ANNEX", "ANNEX": "MAIN-ANNEX"},
			Materials:   map[string]string{"BOOK": "BOOK"},
			Stops: Stops{
				Desks: map[string]string{"Digitization Department For Institution": "SCAN"},
				PickupLibraries: map[string]string{"Main Library": "MAIN-CIRC", "Law Library": "LAW-CIRC",
					"Annex University": "SCAN", "PERSONAL_DELIVERY": "MAIL"},
				Libraries:    map[string]string{"MAIN": "MAIN-CIRC", "LAW": "LAW-CIRC"},
				Institutions: map[string]string{"01ANNEX_INST": "MAIN-CIRC"},
			},
		},
		Intake: Intake{
			Format: FormatRSExport,
			SFTP: &SFTPIntake{
				Account:         "alma",
				Password:        "alma-demo",
				AllowedNetworks: []string{"127.0.0.0/8"},
				Directory:       "01ANNEX_INST/requests",
			},
		},
	}
	aleph := Profile{
		Name:   "aleph-demo",
		System: SystemALEPH,
		ALEPH: &ALEPH{
			NCIPURL:                "http://127.0.0.1:7702/ncip",
			FromAgency:             "CAIAAGENCY",
			ToAgency:               "CLIENTAGENCY",
			ApplicationProfileType: "CAIAPROFILE",
			Users:                  map[string]string{"MAIN-CIRC": "CAIAUSER", "SCI-CIRC": "CAIAUSER2"},
		},
		Translation: Translation{
			Collections: map[string]string{"MAIN": "ALEPH-MAIN"},
			Stops: Stops{
				PickupLocations: map[string]string{
					"Main Library Circulation Desk":    "MAIN-CIRC",
					"Science Library Circulation Desk": "SCI-CIRC",
					// photo-request-slip prints the pickup as a code
					"MAIN": "MAIN-CIRC",
					"SCI":  "SCI-CIRC",
				},
				Libraries: map[string]string{"MAIN": "MAIN-CIRC"},
			},
		},
		Intake: Intake{Format: FormatALEPHPrint, APIKey: "demo-key"},
	}
	f := Facility{
		Name:   "annex demo facility",
		Listen: DefaultListen,
		APIKey: "demo-facility-key",
		Stops: []Stop{
			{Code: "MAIN-CIRC", Name: "Main Library circulation desk", Active: true},
			{Code: "LAW-CIRC", Name: "Law Library circulation desk", Active: true},
			{Code: "SCI-CIRC", Name: "Science Library circulation desk", Active: true},
			{Code: "SCAN", Name: "Scanning (e-retrieval)", Active: true},
			{Code: "MAIL", Name: "Personal delivery mail room", Active: true},
		},
		Profiles: []string{"alma-demo.yaml", "aleph-demo.yaml"},
		Inventory: []InventoryItem{
			{Barcode: "39015000000001", Collection: "MAIN-ANNEX", Material: "BOOK", Tray: "R01-S01-T01", Profile: "alma-demo",
				Title: "The Annotated Remote Storage", Author: "Reader, Ada", CallNumber: "Z675.S8 R46 2019"},
			{Barcode: "39015000000002", Collection: "MAIN-ANNEX", Material: "BOOK", Tray: "R01-S01-T02", Profile: "alma-demo",
				Title: "Warehouses of Knowledge", Author: "Borrower, Brian", CallNumber: "Z679 .B67 2004"},
			{Barcode: "39015000000003", Collection: "MAIN-ANNEX", Material: "BOOK", Tray: "R01-S01-T03", Profile: "alma-demo",
				Title: "A History of Shelving", Author: "Shelver, Sam", CallNumber: "Z675.A2 S54 1998"},
			// The items of fixtures/requests/alma-working-day.xml.
			{Barcode: "39015000000011", Collection: "MAIN-ANNEX", Material: "BOOK", Tray: "R01-S02-T01", Profile: "alma-demo",
				Title: "The quest for immortality : science at the frontiers of aging", Author: "Olshansky, Stuart Jay,", CallNumber: "QP85 .O474 2001", ISBN: "9780393048360"},
			{Barcode: "39015000000012", Collection: "LAW-ANNEX", Material: "BOOK", Tray: "R01-S02-T02", Profile: "alma-demo",
				Title: "Federal courts & the federal system", Author: "Hart, Henry M.", CallNumber: "KF8700 .A19 1990", ISBN: "0882778125"},
			{Barcode: "39015000000013", Collection: "MAIN-ANNEX", Material: "BOOK", Tray: "R01-S02-T03", Profile: "alma-demo",
				Title: "Dějiny české literatury : 1945-1989", Author: "Janoušek, Pavel", CallNumber: "PG3476 .B78 1997", ISBN: "8020005101"},
			{Barcode: "39015000000014", Collection: "MAIN-ANNEX", Material: "BOOK", Tray: "R01-S02-T04", Profile: "alma-demo",
				Title: "Water supply, sanitation, and hygiene education : report of a health impact study", Author: "Aziz, K. M. Ashraful.", CallNumber: "RA595.B3 W38x 1990"},
			{Barcode: "39015000000015", Collection: "MAIN-ANNEX", Material: "BOOK", Tray: "R01-S02-T05", Profile: "alma-demo",
				Title: "Mathematics education.", Author: "Japan Society of Mathematical Education.", Volume: "v.1 (1947-1948)", CallNumber: "QA1 .M3235", ISSN: "0021-471X"},
			{Barcode: "39015000000016", Collection: "MAIN-ANNEX", Material: "BOOK", Tray: "R01-S02-T06", Profile: "alma-demo",
				Title: "Geography and social justice", Author: "Smith, David M.", CallNumber: "HM216 .S53 1994", ISBN: "0631190260"},
			{Barcode: "39015000000017", Collection: "MAIN-ANNEX", Material: "BOOK", Tray: "R01-S02-T07", Profile: "alma-demo",
				Title: "Computer networks : a systems approach", Author: "Peterson, Larry L.", CallNumber: "TK5105.5 .S73 2003", ISBN: "155860832X"},
			{Barcode: "39015000000021", Collection: "LAW-ANNEX", Material: "BOOK", Tray: "R01-S03-T01", Profile: "alma-demo",
				Title: "Law reports of the Commonwealth. Constitutional and administrative law", Author: "Commonwealth Legal Publishing", CallNumber: "K 230 .L38 2005", ISSN: "0265-8771"},
			{Barcode: "39015000000022", Collection: "LAW-ANNEX", Material: "BOOK", Tray: "R01-S03-T02", Profile: "alma-demo",
				Title: "American constitutional law", Author: "Tribe, Laurence H.", CallNumber: "KF 4550 .T75 2000", ISBN: "1566627141"},
			{Barcode: "000000001", Collection: "ALEPH-MAIN", Material: "BOOK", Tray: "R02-S01-T01", Profile: "aleph-demo",
				Title: "The Go programming language", Author: "Donovan, Alan A. A.", CallNumber: "QA76.73.G63 D66 2015", ISBN: "9780134190440"},
			{Barcode: "000000002", Collection: "ALEPH-MAIN", Material: "BOOK", Tray: "R02-S01-T02", Profile: "aleph-demo",
				Title: "Peanuts", Author: "Schulz, Charles M.", Volume: "v.1", CallNumber: "PN6728.P4 S3 2000"},
			{Barcode: "000000003", Collection: "ALEPH-MAIN", Material: "BOOK", Tray: "R02-S01-T03", Profile: "aleph-demo",
				Title: "Information architecture for the World Wide Web", Author: "Morville, Peter", CallNumber: "Z699 .N35 2004"},
		},
	}
	return f, []Profile{alma, aleph}
}

// DemoMailAddr is where `annex up` runs its mail catcher (issue 15).
const DemoMailAddr = "127.0.0.1:2525"

// WithDemoAlerts has the demo facility email every alert of its profiles,
// one message per alert, to the mail catcher `annex up` starts on
// DemoMailAddr. DemoFacility itself sends none, so that worlds without a
// catcher do not retry mail forever. The profiles are copied, not changed in place.
func WithDemoAlerts(f Facility, profiles []Profile) (Facility, []Profile) {
	f.SMTP = &SMTP{Host: "127.0.0.1", Port: 2525, Security: SMTPNone}
	out := make([]Profile, len(profiles))
	for i, p := range profiles {
		p.Alerts.Email = &Email{To: []string{"annex-staff@" + p.Name + ".library.example.edu"}, From: "annex@facility.example.edu", Grouping: GroupEvent}
		out[i] = p
	}
	return f, out
}
