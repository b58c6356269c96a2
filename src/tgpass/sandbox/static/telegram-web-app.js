// web app
