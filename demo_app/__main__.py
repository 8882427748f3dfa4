from demo_app.main import main

main()
